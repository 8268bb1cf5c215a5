"""Reconstruction metrics of a ``MotionTokenizer``: the one place their math lives.

    metrics = evaluate_motions(tokenizer, motions, geometry)     # dict, JSON-ready

Vertex errors come from the geometry (``FaceGeometry.vertex_error``, millimetres, per region);
the relative vertex error divides the mean error by the target's mean displacement from the
neutral face on the same frames, so the always-neutral model scores 1.0 (FIELD_NOTES,
"Measuring reconstruction honestly"). Errors are measured at the tokenizer's fps over the real
frames of each clip (the padding to a whole token is excluded).
"""

from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np
import torch

from tdmm_lm.motion.types import Motion


def codebook_stats(codes: np.ndarray, codebook_size: int) -> dict[str, float]:
    """``codes[N]`` (one level, no padding) → fraction of the codebook used and perplexity."""
    counts = np.bincount(codes, minlength=codebook_size).astype(np.float64)
    p = counts / max(counts.sum(), 1)
    nz = p[p > 0]
    return {"usage": float((counts > 0).mean()), "perplexity": float(np.exp(-(nz * np.log(nz)).sum()))}


class _FrameWeighted:
    """Running frame-weighted means of per-batch region stats (and the max of ``max_mm``)."""

    def __init__(self):
        self.frames, self.sums, self.maxes = 0, {}, {}

    def add(self, stats: dict[str, dict[str, float]], frames: int) -> None:
        self.frames += frames
        for region, values in stats.items():
            for key, v in values.items():
                if key == "max_mm":
                    self.maxes[region] = max(self.maxes.get(region, 0.0), v)
                elif key != "relative":
                    self.sums[(region, key)] = self.sums.get((region, key), 0.0) + v * frames

    def result(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for (region, key), total in self.sums.items():
            out.setdefault(region, {})[key] = total / max(self.frames, 1)
        for region, values in out.items():
            values["max_mm"] = self.maxes[region]
            if "displacement_mm" in values:
                d = values["displacement_mm"]
                values["relative"] = values["mean_mm"] / d if d > 0 else math.inf
        return out


@torch.no_grad()
def evaluate_motions(tokenizer, motions: Sequence[Motion], geometry=None, *,
                     batch_size: int = 8, timing: bool = True,
                     regions: list[str] | None = None) -> dict:
    """Metrics of ``tokenizer`` reconstructing ``motions`` (resampled to its fps).

    Returns ``vertex`` (per region: mean_mm, frame_max_mm, max_mm, displacement_mm, relative;
    only with ``geometry``), ``param_l2`` (mean per-frame L2 norm of the raw parameter error),
    ``codebook`` (per level: usage, perplexity), ``tokens_per_second``, ``frames``,
    ``seconds`` and, with ``timing``, ``encode_fps``/``decode_fps`` (frames per second).
    ``regions`` limits the vertex regions (``["face"]`` is several times faster: validation).
    """
    tokenizer.eval()
    arrays = [tokenizer.prepare(m) for m in motions]
    per_region = _FrameWeighted()
    param_sq, frames = 0.0, 0
    codes_per_level: list[list[np.ndarray]] = [[] for _ in range(tokenizer.levels)]
    if geometry is not None:
        geometry = geometry.to(tokenizer.device)
    for i in range(0, len(arrays), batch_size):
        chunk = arrays[i:i + batch_size]
        x, mask = tokenizer.batch_tensor(chunk)
        recon, codes = tokenizer.reconstruct(x, mask)
        target = tokenizer.denormalize(x)
        n = int(mask.sum())
        frames += n
        param_sq += torch.linalg.vector_norm((recon - target)[mask], dim=-1).sum().item()
        for level in range(tokenizer.levels):
            c = codes[..., level]
            codes_per_level[level].append(c[c >= 0].cpu().numpy())
        if geometry is not None:
            stats = geometry.vertex_error(geometry.vertices(recon), geometry.vertices(target),
                                          regions=regions, frame_mask=mask)
            per_region.add(stats, n)
    out = {"clips": len(arrays), "frames": frames, "seconds": frames / tokenizer.fps,
           "fps": tokenizer.fps, "param_l2": param_sq / max(frames, 1),
           "tokens_per_second": tokenizer.tokens_per_second,
           "codebook": [codebook_stats(np.concatenate(c), tokenizer.codebook_size)
                        for c in codes_per_level]}
    if geometry is not None:
        out["vertex"] = per_region.result()
    if timing:
        out.update(throughput(tokenizer, motions))
    return out


def evaluate_dataset(tokenizer, dataset: str, split: str = "test", *, rig=None, flame_model=None,
                     limit: int | None = None) -> dict:
    """``evaluate_motions`` on a split of a saved DatasetDict, with the geometry resolved from
    ``rig``/``flame_model`` (the order of geometry/rig.py when None)."""
    from tdmm_lm.data.schema import load_dataset_dict
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.data.schema import split_motions
    from tdmm_lm.geometry import FaceGeometry

    if limit is not None and limit < 1:
        raise TdmmError(f"--limit must be at least 1 clip, got {limit}")
    dd = load_dataset_dict(dataset)
    if split not in dd:
        raise TdmmError(f"{dataset}: no split {split!r} (has {sorted(dd)})")
    if len(dd[split]) == 0:
        raise TdmmError(f"{dataset}: split {split!r} has no clips to evaluate")
    geometry = FaceGeometry.for_format(tokenizer.format, tokenizer.channels, rig=rig,
                                       flame_model=flame_model)
    metrics = evaluate_motions(tokenizer, split_motions(dd[split], limit), geometry)
    metrics.update(split=split, dataset=str(dataset))
    return metrics


def throughput(tokenizer, motions: Sequence[Motion], batch_size: int = 64) -> dict[str, float]:
    """Encode and decode speed in frames (at the tokenizer's fps) per second, batched."""
    t = time.perf_counter()
    codes = tokenizer.encode_batch(motions, batch_size=batch_size)
    t_enc = time.perf_counter() - t
    t = time.perf_counter()
    decoded = tokenizer.decode_batch(codes, batch_size=batch_size)
    t_dec = time.perf_counter() - t
    frames = sum(m.num_frames for m in decoded)
    return {"encode_fps": frames / t_enc, "decode_fps": frames / t_dec}


def summary_line(metrics: dict) -> str:
    """One line for logs and the CLI."""
    parts = []
    if "vertex" in metrics:
        face, lips = metrics["vertex"]["face"], metrics["vertex"].get("lips", {})
        parts += [f"vertex {face['mean_mm']:.3f} mm", f"relative {face['relative']:.3f}",
                  f"frame-max {face['frame_max_mm']:.2f} mm"]
        if lips:
            parts.append(f"lips frame-max {lips['frame_max_mm']:.2f} mm")
    parts.append(f"param L2 {metrics['param_l2']:.4f}")
    parts.append("usage " + "/".join(f"{c['usage']:.0%}" for c in metrics["codebook"]))
    parts.append(f"{metrics['tokens_per_second']:.1f} tok/s")
    if "encode_fps" in metrics:
        parts.append(f"encode {metrics['encode_fps']:.0f} fr/s, decode {metrics['decode_fps']:.0f} fr/s")
    return ", ".join(parts)
