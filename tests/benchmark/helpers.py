"""Generators for runner tests, registered under test-only names."""

from __future__ import annotations

from tdmm_lm.generators import GroundTruth, _split
from tdmm_lm.motion.ops import resample

CALLS: list[dict] = []


class Recording(GroundTruth):
    """The ground truth at ``fps`` (default: the data's), recording every call."""

    name = "recording"

    def __init__(self, split, fps: float | None) -> None:
        super().__init__(split)
        if fps:
            self.fps = fps

    def generate(self, texts, lengths, *, seed):
        CALLS.append({"texts": list(texts), "lengths": list(lengths), "seed": seed})
        fps = getattr(self, "fps", None)
        return [resample(m, fps) if fps else m for m in super().generate(texts, None, seed=seed)]


def build_recording(checkpoint, context):
    return Recording(_split(context, context.split), context.options.get("fps"))
