"""Vertex errors in millimetres, per region, and the relative vertex error.

The relative error divides the mean error by the mean displacement of the target from the
neutral face on the same frames: faces rest most of the time, so a model that always outputs
the neutral face already scores a small "mean error in mm" (FIELD_NOTES, "Measuring
reconstruction honestly"). ``relative = 1`` is no better than that neutral face.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _per_vertex(a: Tensor, b: Tensor) -> Tensor:
    return torch.linalg.vector_norm(a.detach().float() - b.detach().float().to(a.device), dim=-1)


def vertex_error(pred: Tensor, target: Tensor, *, mm_per_unit: float,
                 regions: dict[str, np.ndarray] | None = None, neutral: Tensor | None = None,
                 frame_mask: Tensor | None = None) -> dict[str, dict[str, float]]:
    """Errors between ``pred`` and ``target`` ``[B, T, V, 3]`` (model units) per region.

    ``regions``: ``{name: vertex ids}`` (default: all vertices as ``face``). ``frame_mask``
    ``[B, T]`` bool marks real (non-padding) frames. ``neutral`` ``[V, 3]`` adds the target's
    mean displacement from neutral and the relative error. Per region, in millimetres:
    ``mean_mm`` (over frames and vertices), ``max_mm`` (worst vertex of any frame),
    ``frame_max_mm`` (per-frame worst vertex, averaged over frames: the "lip vertex error" of
    facial-animation papers when the region is ``lips``), and with ``neutral``
    ``displacement_mm`` and ``relative`` (= mean_mm / displacement_mm).
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    regions = regions or {"face": np.arange(pred.shape[-2])}
    err = _per_vertex(pred, target) * mm_per_unit                         # [B, T, V]
    disp = None if neutral is None else _per_vertex(target, neutral.to(target.device)) * mm_per_unit
    mask = (torch.ones(err.shape[:2], dtype=torch.bool, device=err.device) if frame_mask is None
            else frame_mask.to(err.device).bool())
    out = {}
    for name, ids in regions.items():
        ids_t = torch.as_tensor(np.asarray(ids), dtype=torch.long, device=err.device)
        e = err.index_select(-1, ids_t)[mask]                              # [N, v]
        stats = {"mean_mm": e.mean().item(), "max_mm": e.max().item(),
                 "frame_max_mm": e.max(-1).values.mean().item()}
        if disp is not None:
            d = disp.index_select(-1, ids_t)[mask].mean().item()
            stats["displacement_mm"] = d
            stats["relative"] = stats["mean_mm"] / d if d > 0 else float("inf")
        out[name] = stats
    return out


def neutral_displacement(vertices: Tensor, neutral: Tensor, *, mm_per_unit: float,
                         frame_mask: Tensor | None = None) -> float:
    """Mean distance (mm) of ``vertices[B, T, V, 3]`` from ``neutral[V, 3]`` over real frames."""
    d = _per_vertex(vertices, neutral.to(vertices.device)) * mm_per_unit
    if frame_mask is not None:
        d = d[frame_mask.to(d.device).bool()]
    return d.mean().item()
