"""Tiny BEAT2 clips in the release's exact layout: key names, dtypes and shapes as in
``2_scott_0_1_1.npz`` (FIELD_NOTES: expressions float64 [T, 100], poses float32 [T, 165],
betas [300], trans [T, 3], model/gender strings, mocap_frame_rate int32)."""

from pathlib import Path

import numpy as np


def beat2_arrays(frames: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "betas": rng.normal(size=300).astype(np.float64),
        "gender": np.array("neutral"),
        "poses": (0.1 * rng.normal(size=(frames, 165))).astype(np.float32),
        "trans": rng.normal(size=(frames, 3)).astype(np.float64),
        "model": np.array("smplx2020"),
        "expressions": rng.normal(size=(frames, 100)).astype(np.float64),
        "mocap_frame_rate": np.array(30, dtype=np.int32),
    }


def write_clip(path: Path, frames: int = 40, seed: int = 0, **changes) -> dict[str, np.ndarray]:
    arrays = {**beat2_arrays(frames, seed), **changes}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def textgrid_long(words: list[tuple[float, float, str]], xmax: float) -> str:
    """A Praat long-format TextGrid with a ``words`` tier and a ``phones`` tier, as aligners
    (MFA, BEAT2's release) write it."""
    def tier(i, name, items):
        lines = [f"    item [{i}]:", '        class = "IntervalTier" ', f'        name = "{name}" ',
                 "        xmin = 0 ", f"        xmax = {xmax} ", f"        intervals: size = {len(items)} "]
        for j, (s, e, w) in enumerate(items, 1):
            w = w.replace('"', '""')
            lines += [f"        intervals [{j}]:", f"            xmin = {s} ", f"            xmax = {e} ",
                      f'            text = "{w}" ']
        return lines
    head = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ",
            f"xmax = {xmax} ", "tiers? <exists> ", "size = 2 ", "item []: "]
    phones = [(s, e, "AH0") for s, e, w in words if w]
    return "\n".join(head + tier(1, "words", words) + tier(2, "phones", phones)) + "\n"
