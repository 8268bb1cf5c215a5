"""The two interfaces every model offers the benchmark and the app, and registries that build
them by name.

A *generator* turns prompts into motions (the LM's L2M, MDM, T2M-GPT, and two references); a
*describer* turns motions into text (the LM's M2L, a rule-based reference). The benchmark runner
only ever calls ``generate`` / ``describe``; it never reaches into a model.

Builders are registered as ``"module:function"`` strings so that listing or choosing a generator
imports nothing heavy, and so this module never imports the models that implement it. A builder
takes ``(checkpoint, context)`` and returns the object. The baselines register theirs once, in
``tdmm_lm.baselines.registry``, which this module also names by string (``BASELINE_BUILDERS``)
and reads when a table is asked for.

Every saved checkpoint folder holds ``generator.json`` (``{"kind": NAME}``, see
``tdmm_lm.artifacts``) so that ``load_generator(folder)`` (``tdmm-lm generate --model DIR``)
knows which builder reads it.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from tdmm_lm.artifacts import GENERATOR, artifact_kind, resolve_artifact, write_generator_kind
from tdmm_lm.errors import TdmmError
from tdmm_lm.limits import check_limit
from tdmm_lm.motion.types import Motion

BASELINE_BUILDERS = "tdmm_lm.baselines.registry:generator_builders"   # one entry per baseline


@runtime_checkable
class MotionGenerator(Protocol):
    """Prompts in, motions out. ``lengths`` are frame counts at the generator's fps (None: the
    model chooses); the same ``seed`` gives the same motions."""

    name: str

    def generate(self, texts: list[str], lengths: list[int] | None, *, seed: int) -> list[Motion]: ...


@runtime_checkable
class MotionDescriber(Protocol):
    """Motions in, one description each."""

    name: str

    def describe(self, motions: list[Motion], *, seed: int) -> list[str]: ...


@dataclass
class BuildContext:
    """What a builder may need besides its checkpoint: the benchmark's dataset (a saved
    DatasetDict folder) and split for the references, and the torch device for models."""

    dataset: str | None = None
    split: str = "test"
    device: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # builder-specific (e.g. sampling steps)


_GENERATORS: dict[str, str] = {
    "tdmm-lm": "tdmm_lm.lm.tdmmlm:build_generator",
    "ground-truth": "tdmm_lm.generators:_ground_truth",
    "random-train": "tdmm_lm.generators:_random_train",
}
_DESCRIBERS: dict[str, str] = {
    "tdmm-lm": "tdmm_lm.lm.tdmmlm:build_describer",
    "rule-based": "tdmm_lm.benchmark.detectors:build_describer",
}


def _generators() -> dict[str, str]:
    """Every generator builder: the table above (with later registrations), then the
    baselines'."""
    baselines = import_target(BASELINE_BUILDERS)()
    return {**_GENERATORS, **{k: v for k, v in baselines.items() if k not in _GENERATORS}}


def register_generator(name: str, target: str) -> None:
    """Add (or replace) a generator builder, ``target = "module:function"``."""
    _GENERATORS[name] = target


def register_describer(name: str, target: str) -> None:
    _DESCRIBERS[name] = target


def generator_names() -> tuple[str, ...]:
    return tuple(_generators())


def describer_names() -> tuple[str, ...]:
    return tuple(_DESCRIBERS)


def import_target(target: str) -> Any:
    """The object a ``"module:attr"`` string names (imported now)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _resolve(table: dict[str, str], what: str, name: str) -> Callable[..., Any]:
    if name not in table:
        raise TdmmError(f"unknown {what} {name!r}; known: {', '.join(table)}")
    return import_target(table[name])


def build_generator(name: str, checkpoint: str | None = None,
                    context: BuildContext | None = None) -> MotionGenerator:
    """The generator ``name`` (a registry key) from ``checkpoint`` (a folder or hub id)."""
    return _resolve(_generators(), "generator", name)(checkpoint, context or BuildContext())


def build_describer(name: str, checkpoint: str | None = None,
                    context: BuildContext | None = None) -> MotionDescriber:
    return _resolve(_DESCRIBERS, "describer", name)(checkpoint, context or BuildContext())


def write_kind(folder: str | Path, kind: str, **extra: Any) -> None:
    """Mark a checkpoint folder as readable by the ``kind`` builder (``generator.json``)."""
    if kind not in _generators():
        raise ValueError(f"unknown generator kind {kind!r}")
    write_generator_kind(folder, kind, **extra)


def load_generator(checkpoint: str | Path, context: BuildContext | None = None) -> MotionGenerator:
    """Whatever generator a checkpoint folder, training run or Hub repo id holds (LM run or
    baseline)."""
    folder = resolve_artifact(checkpoint, GENERATOR)
    kind = artifact_kind(folder)
    if kind not in _generators():
        raise TdmmError(f"{folder}: unknown generator kind {kind!r} (known: "
                        f"{', '.join(_generators())})")
    return build_generator(kind, str(folder), context)


def check_seconds(seconds: float | None, what: str = "--seconds") -> None:
    """Refuse a duration that is not a positive finite number or is over the
    ``generate_seconds`` limit (before any model is loaded)."""
    if seconds is None:
        return
    if not (math.isfinite(seconds) and seconds > 0):
        raise TdmmError(f"{what} must be a positive number of seconds, got {seconds:g}")
    check_limit("generate_seconds", seconds, what)


def frames_for_seconds(generator: MotionGenerator, seconds: float | None,
                       what: str = "--seconds") -> list[int] | None:
    """``[frames]`` for one motion of ``seconds`` at the generator's fps (None: the model
    decides). A generator with a ``max_frames`` it cannot exceed refuses a longer ask here
    with one line naming its maximum, instead of quietly returning a shorter motion."""
    if seconds is None:
        return None
    check_seconds(seconds, what)
    fps = float(generator.fps)
    frames = max(1, round(seconds * fps))
    top = getattr(generator, "max_frames", None)
    if top is not None and frames > top:
        raise TdmmError(f"{generator.name} generates at most {top / fps:g} s ({top} frames at "
                        f"{fps:g} fps); {what} {seconds:g} asks for more")
    return [frames]


# --- reference generators: the ceiling and the floor of every benchmark table -----------------

def _fit_length(motion: Motion, length: int | None, rng: np.random.Generator | None) -> Motion:
    """``motion`` cut to ``length`` frames (a random window when ``rng`` is given, else the
    start); shorter motions are returned whole: references never invent frames."""
    if length is None or len(motion.data) <= length:
        return motion
    start = 0 if rng is None else int(rng.integers(len(motion.data) - length + 1))
    return motion.replace(data=motion.data[start:start + length])


def _split(context: BuildContext, split: str):
    from tdmm_lm.data.schema import load_dataset_dict
    if context.dataset is None:
        raise TdmmError("the reference generators need the benchmark's dataset (context.dataset)")
    dd = load_dataset_dict(context.dataset)
    if split not in dd:
        raise TdmmError(f"{context.dataset}: no split {split!r} (has {', '.join(dd)})")
    return dd[split]


class GroundTruth:
    """Returns the dataset's own motion for each text (any of a row's paraphrases): FID ~ 0 and
    R-precision at its ceiling."""

    name = "ground-truth"

    def __init__(self, split) -> None:
        self._split = split
        self._row_of: dict[str, int] = {}
        for i, texts in enumerate(split["texts"]):
            for text in texts:
                self._row_of.setdefault(text, i)

    def generate(self, texts: list[str], lengths: list[int] | None, *, seed: int) -> list[Motion]:
        from tdmm_lm.data.schema import row_motion
        missing = [t for t in texts if t not in self._row_of]
        if missing:
            raise TdmmError(f"ground-truth generator: {len(missing)} prompt(s) are not in the "
                            f"dataset, e.g. {missing[0]!r}")
        lengths = lengths or [None] * len(texts)
        return [_fit_length(row_motion(self._split[self._row_of[t]]), n, None)
                for t, n in zip(texts, lengths)]


class RandomTrain:
    """A random training motion per prompt, ignoring the text: the floor."""

    name = "random-train"

    def __init__(self, split) -> None:
        self._split = split

    def generate(self, texts: list[str], lengths: list[int] | None, *, seed: int) -> list[Motion]:
        from tdmm_lm.data.schema import row_motion
        rng = np.random.default_rng(seed)
        rows = rng.integers(len(self._split), size=len(texts))
        lengths = lengths or [None] * len(texts)
        return [_fit_length(row_motion(self._split[int(r)]), n, rng) for r, n in zip(rows, lengths)]


def _ground_truth(checkpoint: str | None, context: BuildContext) -> GroundTruth:
    return GroundTruth(_split(context, context.split))


def _random_train(checkpoint: str | None, context: BuildContext) -> RandomTrain:
    return RandomTrain(_split(context, "train"))


def generate_all(generator: MotionGenerator, texts: Sequence[str], lengths: Sequence[int] | None,
                 *, seed: int, batch_size: int = 32) -> list[Motion]:
    """``generator.generate`` over ``texts`` in batches (batch ``b`` uses ``seed + b``)."""
    out: list[Motion] = []
    for b, start in enumerate(range(0, len(texts), batch_size)):
        chunk = list(texts[start:start + batch_size])
        n = None if lengths is None else list(lengths[start:start + batch_size])
        out.extend(generator.generate(chunk, n, seed=seed + b))
    return out
