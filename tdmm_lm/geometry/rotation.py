"""Euler angles → rotation matrices in the project's head frame (torch, batched, differentiable).

Frame (shared by the ICT rig, the procedural rig and FLAME): +x toward the subject's LEFT, +y up,
+z out of the face toward the viewer. Angles are radians, right-handed:

- yaw   about +y: yaw > 0 turns the nose toward +x, i.e. the head turns to the subject's left;
- pitch about +x: pitch > 0 tips the nose down (+z toward -y);
- roll  about +z: roll > 0 lifts the subject's left side (+x toward +y).

``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``. Mirroring (x -> -x) maps R to M R M, which is the same
formula with yaw and roll negated: exactly ``MotionFormat.mirror_sign``.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _axis_matrix(angle: Tensor, axis: int) -> Tensor:
    """Rotation by ``angle[...]`` about coordinate ``axis`` → ``[..., 3, 3]``."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    if axis == 0:
        rows = (one, zero, zero, zero, c, -s, zero, s, c)
    elif axis == 1:
        rows = (c, zero, s, zero, one, zero, -s, zero, c)
    else:
        rows = (c, -s, zero, s, c, zero, zero, zero, one)
    return torch.stack(rows, dim=-1).reshape(*angle.shape, 3, 3)


def euler_to_matrix(yaw: Tensor, pitch: Tensor, roll: Tensor) -> Tensor:
    """Yaw/pitch/roll ``[...]`` (radians) → rotation matrices ``[..., 3, 3]``."""
    return _axis_matrix(yaw, 1) @ _axis_matrix(pitch, 0) @ _axis_matrix(roll, 2)


def rotate_about(points: Tensor, rotation: Tensor, pivot: Tensor) -> Tensor:
    """Rotate ``points[B, T, V, 3]`` by ``rotation[B, T, 3, 3]`` about ``pivot[3]``."""
    return torch.einsum("btij,btvj->btvi", rotation, points - pivot) + pivot
