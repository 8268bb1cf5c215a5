"""One FaceScript row from (config, index): script -> timing -> curves -> text -> attributes.

Every sample draws from its own ``SeedSequence([seed, index])``, spawned into one stream per
stage, so a row is bit-identical however many rows are generated and in which order, and
forcing the script (``segments=``) leaves the subject, timing jitter and noise streams as they
were.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from tdmm_lm.data.facescript.attributes import summarise
from tdmm_lm.data.facescript.curves import render_arkit
from tdmm_lm.data.facescript.flame_map import arkit_curves_to_flame
from tdmm_lm.data.facescript.plan import SegmentSpec, layout, sample_specs
from tdmm_lm.data.facescript.subjects import subject_id, subject_style
from tdmm_lm.data.facescript.text import paraphrases
from tdmm_lm.data.schema import row_motion
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.types import Motion

DEFAULT_FPS: Mapping[str, float] = {"arkit61": 30.0, "flame": 25.0}  # arkit: half of LLF's 60
MAX_SUBJECTS = 1000  # ids are fs_s000..fs_s999


@dataclass
class FaceScriptConfig:
    """What corpus to generate."""

    num_samples: int = 1000
    seed: int = 0
    format: str = "arkit61"          # or "flame" (through the fixed arkit_to_flame map)
    fps: float | None = None         # None = 30 for arkit61, 25 for flame
    num_subjects: int = 40           # subjects fs_s000.. drawn per sample
    min_seconds: float = 2.0         # short scripts get a longer rest tail
    max_seconds: float = 6.0         # long scripts are time-compressed to fit
    # curves that look captured (facescript/realism.py: real resting offsets, co-activation,
    # gaze saccades, real-level tracking noise); the labels are the same either way
    realism: bool = False

    def __post_init__(self) -> None:
        def need(ok: bool, field: str, what: str) -> None:
            if not ok:
                raise TdmmError(f"FaceScriptConfig.{field} must be {what}, "
                                f"got {getattr(self, field)!r}")

        def is_int(x: Any) -> bool:
            return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

        need(is_int(self.num_samples) and self.num_samples >= 0, "num_samples",
             "a non-negative integer")
        need(is_int(self.seed) and self.seed >= 0, "seed", "a non-negative integer")
        need(self.format in DEFAULT_FPS, "format", f"one of {sorted(DEFAULT_FPS)}")
        need(self.fps is None or (isinstance(self.fps, (int, float)) and math.isfinite(self.fps)
                                  and 1.0 <= self.fps <= 240.0), "fps",
             "None or a number of frames per second in [1, 240]")
        need(is_int(self.num_subjects) and 1 <= self.num_subjects <= MAX_SUBJECTS,
             "num_subjects", f"an integer in 1..{MAX_SUBJECTS}")
        need(isinstance(self.min_seconds, (int, float)) and 1.0 <= self.min_seconds <= 60.0,
             "min_seconds", "a number of seconds in [1, 60]")
        need(isinstance(self.realism, bool), "realism", "true or false")
        need(isinstance(self.max_seconds, (int, float))
             and self.min_seconds <= self.max_seconds <= 60.0,
             "max_seconds", f"a number of seconds in [min_seconds={self.min_seconds}, 60]")

    @property
    def resolved_fps(self) -> float:
        """``fps``, or the format's FaceScript default."""
        return float(self.fps) if self.fps is not None else DEFAULT_FPS[self.format]


def generate_sample(config: FaceScriptConfig, index: int, *,
                    segments: Sequence[SegmentSpec | Mapping[str, Any]] | None = None,
                    subject: str | None = None) -> dict[str, Any]:
    """Row ``index`` of the corpus ``config`` describes.

    Returns ``{"id", "subject", "text", "texts", "motion" (float32 [T, D]; D = 61 for arkit61,
    56 for flame), "fps", "format", "attributes" (JSON string), "source"}``.
    ``segments`` forces the script (``SegmentSpec`` or dicts such as
    ``{"action": "wink", "side": "left", "repetitions": 2}``); ``subject`` forces the performer.
    """
    if not (isinstance(index, (int, np.integer)) and index >= 0):
        raise TdmmError(f"sample index must be a non-negative integer, got {index!r}")
    # spawn(5)[:4] equals spawn(4): the realism stream leaves the other four as they were
    script_rng, timing_rng, text_rng, render_rng, realism_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([config.seed, int(index)]).spawn(5))
    drawn_subject = subject_id(int(script_rng.integers(config.num_subjects)))
    subject = subject or drawn_subject
    if segments is None:
        specs = sample_specs(script_rng)
    else:
        if not 1 <= len(segments) <= 3:
            raise TdmmError(f"a FaceScript sample has 1 to 3 segments, got {len(segments)}")
        specs = [SegmentSpec.coerce(s, i) for i, s in enumerate(segments)]
    style = subject_style(subject)
    placed, duration = layout(specs, style, timing_rng, config.min_seconds, config.max_seconds)
    fps = config.resolved_fps
    arkit, blinks = render_arkit(placed, style, duration, fps, render_rng,
                                 realism_rng if config.realism else None)
    motion = arkit if config.format == "arkit61" else arkit_curves_to_flame(arkit)
    texts = paraphrases(specs, text_rng)
    attributes = summarise(placed, blinks, motion.shape[0] / fps, subject)
    source = f"facescript:seed={config.seed}:index={index}" + (":forced" if segments else "")
    return {"id": f"facescript-{config.seed}-{index:06d}", "subject": subject,
            "text": texts[0], "texts": texts, "motion": motion, "fps": fps,
            "format": config.format, "attributes": json.dumps(attributes), "source": source}


def generate_corpus(config: FaceScriptConfig) -> Iterator[dict[str, Any]]:
    """Rows ``generate_sample(config, i)`` for ``i`` in ``range(config.num_samples)``."""
    for i in range(config.num_samples):
        yield generate_sample(config, i)


def sample_to_motion(row: Mapping[str, Any]) -> Motion:
    """A generated sample (or a loaded row) as a ``Motion`` (see ``schema.row_motion``)."""
    return row_motion(row)
