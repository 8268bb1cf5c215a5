"""The tokenizer on real takes read against the performer's resting face: the tokens carry the
motion, the take's resting face (61 numbers per take) travels beside them.

    python eval/scripts/vq_calibrated_takes.py --runs VQ [VQ ...] --rig RIG \\
        --out eval/results/vq_calibrated_takes

Per shared real take (``real_takes.py``: 30 fps, S88 split at its tracking loss) and tokenizer:

- as captured: x̂ = decode(encode(x));
- calibrated: x̂ = decode(encode(above_rest(x, rest))) + rest, where ``rest`` is the take's
  resting face (``motion.ops.resting_face`` over all its pieces; ``tdmm-lm describe --calibrate``
  reads takes the same way). A blendshape's fall below its resting level is clipped away (S07's
  gaze drops in every blink), so it is lost and counts as error.

Two relative vertex errors (face, through the rig): against the displacement from the neutral
face (the issue's metric; the calibrated reading gets the rest for free, so read it beside the
second) and against the displacement from the take's own resting face (the motion the tokens
must carry; 1.0 = a tokenizer that always returns the resting face).
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
import torch

from real_takes import load_takes
from tdmm_lm.geometry import FaceGeometry
from tdmm_lm.geometry.metrics import vertex_error
from tdmm_lm.motion.ops import above_rest, take_resting_face
from tdmm_lm.provenance import write_result
from tdmm_lm.vqvae import MotionTokenizer

READINGS = ("as captured", "calibrated")
TITLE = "The tokenizer on real takes read against the performer's resting face"


def reconstruct(tok, motion, rest: np.ndarray | None):
    """The take after a trip through the tokens, read as captured (``rest`` None) or calibrated."""
    seen = motion if rest is None else above_rest(motion, rest)
    out = tok.decode_batch(tok.encode_batch([seen]), fps=motion.fps)[0]
    data = out.data[: motion.num_frames]
    if rest is not None:
        data = data + rest
    return data


def vertices(geometry, data: np.ndarray):
    """``data [T, C]`` (or one frame ``[C]``) → ``[1, T, V, 3]`` through the rig."""
    x = torch.as_tensor(data, dtype=torch.float32)
    return geometry.vertices(x[None] if x.ndim == 2 else x[None, None])


def errors(geometry, target, recon: np.ndarray, rest_face) -> dict[str, float]:
    """Relative vertex error of ``recon`` against the take's vertices ``target`` (the frames both
    have), from the neutral face and from the take's resting face ``rest_face [V, 3]``."""
    n = len(recon)
    target, pred = target[:, :n], vertices(geometry, recon)
    face = {"face": geometry.regions["face"]}
    kw = {"mm_per_unit": geometry.mm_per_unit, "regions": face}
    from_neutral = vertex_error(pred, target, neutral=geometry.neutral_vertices(), **kw)["face"]
    from_rest = vertex_error(pred, target, neutral=rest_face, **kw)["face"]
    return {"neutral": from_neutral["relative"], "rest": from_rest["relative"],
            "mean_mm": from_neutral["mean_mm"], "frames": n}


def pooled_relative(rows: dict, reading: str, reference: str, frames: dict[str, int]) -> float:
    """All takes' frames as one: total error over total displacement (as ``vq_rate.py`` pools)."""
    error = sum(r[reading]["mean_mm"] * frames[n] for n, r in rows.items())
    displacement = sum(r[reading]["mean_mm"] / r[reading][reference] * frames[n]
                       for n, r in rows.items())
    return error / displacement


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", required=True, help="tokenizer folders")
    ap.add_argument("--rig", required=True)
    ap.add_argument("--out", default="eval/results/vq_calibrated_takes")
    ap.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = ap.parse_args()
    takes = load_takes(report=lambda _: None)
    pieces = defaultdict(list)
    for name, motion in takes:
        pieces[name.split("#")[0]].append(motion)
    rests = {base: take_resting_face(ms) for base, ms in pieces.items()}
    results: dict[str, dict] = {}
    lines = [f"# {TITLE}", "", __doc__.split("\n\n", 2)[2].strip(), "",
             "| tokenizer | take | frames | as captured: from neutral | from rest | "
             "calibrated: from neutral | from rest |", "| --- " * 7 + "|"]
    for run in args.runs:
        tok = MotionTokenizer.from_pretrained(run)
        geometry = FaceGeometry.for_format(tok.format, tok.channels, rig=args.rig)
        rows = {}
        for name, motion in takes:
            rest = rests[name.split("#")[0]]
            target, rest_face = vertices(geometry, motion.data), vertices(geometry, rest)[0, 0]
            rows[name] = {reading: errors(geometry, target,
                                          reconstruct(tok, motion, None if reading == READINGS[0]
                                                      else rest), rest_face)
                          for reading in READINGS}
        frames = {n: r[READINGS[0]]["frames"] for n, r in rows.items()}
        total = sum(frames.values())
        pooled = {reading: {k: pooled_relative(rows, reading, k, frames) for k in ("neutral", "rest")}
                  for reading in READINGS}
        results[run] = {"takes": rows, "pooled": pooled}
        for name, r in [*rows.items(), ("pooled", pooled)]:
            a, b = r[READINGS[0]], r[READINGS[1]]
            lines.append(f"| `{run}` | {name} | {frames.get(name, total)} | {a['neutral']:.3f} | "
                         f"{a['rest']:.3f} | {b['neutral']:.3f} | {b['rest']:.3f} |")
    if args.note:
        lines += ["", "Notes:", *[f"- {n}" for n in args.note]]
    write_result(args.out, {"runs": results}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
