"""ARKit blendshape motion → vertices through a ``BlendshapeRig`` (differentiable, batched).

``vertices = neutral + Σ_k w_k · deltas_k`` with weights taken from the motion BY NAME (a rig
shape the motion lacks gets weight 0), then eye rotations on the eyeball vertices about their
pivots (rigs with eyeballs only), then the head rotation about the rig's head pivot.
Angles are radians; axes and signs are in ``rotation.py`` (yaw > 0 turns to the subject's left).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from tdmm_lm.geometry.base import FaceGeometry
from tdmm_lm.geometry.rig import BlendshapeRig
from tdmm_lm.geometry.rig_choice import resolve_rig
from tdmm_lm.geometry.rotation import euler_to_matrix, rotate_about
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS

_EYES = (("leftEye", "eye_left_vertices", 0), ("rightEye", "eye_right_vertices", 1))


class ArkitGeometry(FaceGeometry, format_name="arkit61"):
    """``ArkitGeometry(rig=None, channels=ARKIT61_CHANNELS)``; ``rig``: rig, path or None (resolve)."""

    def __init__(self, rig: BlendshapeRig | str | Path | None = None,
                 channels: tuple[str, ...] = ARKIT61_CHANNELS):
        super().__init__()
        self.rig = resolve_rig(rig)
        self.format, self.channels = ARKIT61, tuple(channels)
        self.triangles, self.units = self.rig.triangles, self.rig.units
        self.mm_per_unit, self.vertex_colors = self.rig.mm_per_unit, self.rig.vertex_colors
        pairs = [(k, self.channels.index(n)) for k, n in enumerate(self.rig.blendshape_names)
                 if n in self.channels]
        rig_k, motion_k = zip(*pairs) if pairs else ((), ())
        v = self.rig.num_vertices
        deltas = self.rig.deltas[list(rig_k)].astype(np.float32).reshape(len(rig_k), v * 3)
        self.register_buffer("neutral", torch.from_numpy(self.rig.neutral.copy()), persistent=False)
        self.register_buffer("deltas", torch.from_numpy(deltas), persistent=False)       # [K, V*3]
        self.register_buffer("weight_index", torch.tensor(motion_k, dtype=torch.long), persistent=False)
        self.register_buffer("head_pivot", torch.as_tensor(self.rig.head_pivot, dtype=torch.float32),
                             persistent=False)
        self.head_index = self._angle_index("head")
        self.eyes = []   # (angle channel ids, eyeball vertex ids, pivot index)
        for prefix, key, pivot in _EYES:
            ids, angles = getattr(self.rig, key), self._angle_index(prefix)
            if ids is not None and angles is not None and self.rig.eye_pivots is not None:
                self.eyes.append((angles, torch.as_tensor(ids, dtype=torch.long), pivot))
        if self.rig.eye_pivots is not None:
            self.register_buffer("eye_pivots", torch.as_tensor(self.rig.eye_pivots,
                                                               dtype=torch.float32), persistent=False)
        if self.rig.identity is not None:
            ident = self.rig.identity.astype(np.float32).reshape(len(self.rig.identity), v * 3)
            self.register_buffer("identity", torch.from_numpy(ident), persistent=False)
            self.uses_shape = True

    @classmethod
    def build(cls, channels, *, rig, flame_model) -> ArkitGeometry:
        return cls(rig, channels)

    def _angle_index(self, prefix: str) -> list[int] | None:
        names = [f"{prefix}Yaw", f"{prefix}Pitch", f"{prefix}Roll"]
        return [self.channels.index(n) for n in names] if all(n in self.channels for n in names) else None

    def vertices(self, motion: Tensor, *, vertex_ids: Tensor | np.ndarray | None = None,
                 shape: Tensor | None = None) -> Tensor:
        """``motion[B, T, D]`` (weights, radians) → ``[B, T, V, 3]`` in rig units."""
        b, t, _ = motion.shape
        dev, dt = motion.device, motion.dtype
        neutral, deltas = self.neutral.to(dev, dt), self.deltas.to(dev, dt)
        if vertex_ids is not None:
            vertex_ids = torch.as_tensor(vertex_ids, dtype=torch.long, device=dev)
            neutral = neutral[vertex_ids]
            deltas = deltas.view(len(deltas), -1, 3)[:, vertex_ids].reshape(len(deltas), -1)
        w = motion[..., self.weight_index.to(dev)]                                  # [B, T, K]
        verts = neutral + (w @ deltas).view(b, t, -1, 3)
        if shape is not None and hasattr(self, "identity"):
            ident = self.identity.to(dev, dt)[: shape.shape[-1]].view(shape.shape[-1], -1, 3)
            ident = ident if vertex_ids is None else ident[:, vertex_ids]
            verts = verts + torch.einsum("bs,svc->bvc", shape.to(dt), ident)[:, None]
        for angles, ids, pivot in self.eyes:
            pos = self._positions(ids.to(dev), vertex_ids)
            if len(pos):
                rot = euler_to_matrix(*motion[..., angles].unbind(-1))
                turned = rotate_about(verts[:, :, pos], rot, self.eye_pivots[pivot].to(dev, dt))
                verts = verts.index_copy(2, pos, turned)
        if self.head_index is not None:
            rot = euler_to_matrix(*motion[..., self.head_index].unbind(-1))
            verts = rotate_about(verts, rot, self.head_pivot.to(dev, dt))
        return verts

    @staticmethod
    def _positions(ids: Tensor, vertex_ids: Tensor | None) -> Tensor:
        """Where the eyeball vertices ``ids`` sit in the output (all, or within ``vertex_ids``)."""
        return ids if vertex_ids is None else torch.nonzero(torch.isin(vertex_ids, ids)).flatten()

    def region_influence(self) -> dict[str, np.ndarray]:
        """Max displacement per vertex by the blendshapes of each region (+ eyeballs in ``eyes``)."""
        mag = np.linalg.norm(self.rig.deltas.astype(np.float32), axis=2)       # [K, V]
        groups = {"lips": ("mouth",), "jaw": ("jaw",), "eyes": ("eye",), "brows": ("brow",),
                  "cheeks": ("cheek",), "nose": ("nose",), "tongue": ("tongue",)}
        out = {}
        for region, prefixes in groups.items():
            rows = [k for k, n in enumerate(self.rig.blendshape_names) if n.startswith(prefixes)]
            out[region] = mag[rows].max(0) if rows else np.zeros(self.rig.num_vertices)
        for key in ("eye_left_vertices", "eye_right_vertices"):
            if getattr(self.rig, key) is not None:
                out["eyes"][getattr(self.rig, key)] = np.inf
        return out
