"""``FaceGeometry``: one interface from motion parameters to mesh vertices, for every format.

    geo = FaceGeometry.for_format("arkit61", rig="rig.npz")          # or "flame", flame_model=DIR
    verts = geo.vertices(motion)               # [B, T, D] -> [B, T, V, 3], differentiable
    sub = geo.vertices(motion, vertex_ids=geo.vertex_subset(800))    # fast losses
    geo.vertex_error(pred_verts, target_verts, neutral=geo.neutral_vertices())["lips"]

Geometry modules hold their model arrays as non-persistent buffers: ``.to(device)`` moves them
with a parent model, and they never bloat its ``state_dict``. Inputs on another device are
served by moving the buffers to the input's device.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry import metrics
from tdmm_lm.geometry.regions import regions_from_influence
from tdmm_lm.motion.formats import MotionFormat, get_format

if TYPE_CHECKING:
    from tdmm_lm.geometry.rig import BlendshapeRig
    from tdmm_lm.motion.types import Motion


class FaceGeometry(nn.Module):
    """Base class: subclasses set the attributes below and implement ``vertices``.

    ``format``/``channels``: the motion layout ``vertices`` expects (last dim D).
    ``triangles`` ``[F, 3]`` int64 numpy; ``units`` (``mm``/``cm``/``m``) and ``mm_per_unit``;
    ``vertex_colors`` ``[V, 3]`` or None (rendering only).
    """

    format: MotionFormat
    channels: tuple[str, ...]
    triangles: np.ndarray
    units: str
    mm_per_unit: float
    vertex_colors: np.ndarray | None = None

    def vertices(self, motion: Tensor, *, vertex_ids: Tensor | np.ndarray | None = None,
                 shape: Tensor | None = None) -> Tensor:
        """``motion[B, T, D]`` → ``vertices[B, T, V, 3]`` (or ``[B, T, len(vertex_ids), 3]``).

        ``shape`` ``[B, S]``: optional identity coefficients (FLAME betas / rig identity).
        """
        raise NotImplementedError

    def region_influence(self) -> dict[str, np.ndarray]:
        """``{region: [V] how far that region's controls move each vertex}`` (see regions.py)."""
        raise NotImplementedError

    # ----- shared helpers -------------------------------------------------------------------
    @property
    def num_vertices(self) -> int:
        return int(self.neutral_vertices().shape[0])

    def neutral_vertices(self) -> Tensor:
        """The face with every channel at zero, ``[V, 3]`` (cached)."""
        if getattr(self, "_neutral_cache", None) is None:
            with torch.no_grad():
                zeros = torch.zeros(1, 1, len(self.channels), device=self._device())
                self._neutral_cache = self.vertices(zeros)[0, 0]
        return self._neutral_cache

    @property
    def regions(self) -> dict[str, np.ndarray]:
        """Named vertex-id arrays (``lips``, ``eyes``, ``brows``, ``jaw``..., ``face``)."""
        if getattr(self, "_regions_cache", None) is None:
            self._regions_cache = regions_from_influence(self.region_influence())
        return self._regions_cache

    def vertex_subset(self, n: int, seed: int = 0, *, weighted: bool = False) -> Tensor:
        """``n`` sorted vertex ids drawn (fixed ``seed``) among vertices the motion can move.

        ``weighted``: draw with probability proportional to each vertex's motion range (the
        largest displacement any region's controls cause; eyeball vertices, ``inf`` there, count
        as the largest finite range), so losses see the vertices that move most.
        """
        influence = np.maximum.reduce([np.asarray(v, np.float64)
                                       for v in self.region_influence().values()])
        moving = np.nonzero(influence > 0)[0]
        p = None
        if weighted:
            finite = influence[np.isfinite(influence)]
            influence = np.where(np.isfinite(influence), influence,
                                 finite.max() if len(finite) else 1.0)
            p = influence[moving] / influence[moving].sum()
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(moving, size=min(n, len(moving)), replace=False, p=p))
        return torch.as_tensor(pick, dtype=torch.long)

    def motion_tensor(self, motion: Motion) -> Tensor:
        """A ``Motion`` as the ``[1, T, D]`` float tensor ``vertices`` expects (channels checked)."""
        if motion.format.name != self.format.name or tuple(motion.channels) != tuple(self.channels):
            raise TdmmError(f"this geometry reads {self.format.name} motions with "
                            f"{len(self.channels)} channels; got {motion.format.name} with "
                            f"{len(motion.channels)} (build it with FaceGeometry.for_format("
                            "motion.format, motion.channels))")
        return torch.from_numpy(np.ascontiguousarray(motion.data))[None].to(self._device())

    def vertices_of(self, motion: Motion, batch_frames: int = 1024) -> Tensor:
        """All frames of a ``Motion`` → ``[T, V, 3]`` (no grad; in chunks to bound memory)."""
        x = self.motion_tensor(motion)
        shape = None if motion.shape is None or not self.uses_shape else torch.from_numpy(
            motion.shape)[None].to(x.device)
        with torch.no_grad():
            return torch.cat([self.vertices(x[:, i:i + batch_frames], shape=shape)[0]
                              for i in range(0, max(x.shape[1], 1), batch_frames)])

    uses_shape: bool = False

    def vertex_error(self, pred: Tensor, target: Tensor, *, regions: list[str] | None = None,
                     relative: bool = True, frame_mask: Tensor | None = None
                     ) -> dict[str, dict[str, float]]:
        """``metrics.vertex_error`` with this model's units, regions and neutral face.

        ``pred``/``target`` ``[B, T, V, 3]`` over ALL vertices; ``regions`` names a subset of
        ``self.regions`` (default all). ``relative`` adds displacement_mm and relative.
        """
        chosen = self.regions if regions is None else {r: self.regions[r] for r in regions}
        return metrics.vertex_error(pred, target, mm_per_unit=self.mm_per_unit, regions=chosen,
                                    neutral=self.neutral_vertices() if relative else None,
                                    frame_mask=frame_mask)

    def _device(self) -> torch.device:
        for b in self.buffers():
            return b.device
        return torch.device("cpu")

    # ----- construction -----------------------------------------------------------------------
    # format name -> subclass; filled by ``__init_subclass__`` so that this module never imports
    # its subclasses (the package ``__init__`` imports them all, before anyone can call this)
    _by_format: dict[str, type[FaceGeometry]] = {}

    def __init_subclass__(cls, *, format_name: str | None = None, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if format_name is not None:
            FaceGeometry._by_format[format_name] = cls

    @classmethod
    def build(cls, channels: tuple[str, ...], *, rig: str | Path | BlendshapeRig | None,
              flame_model: str | Path | None) -> FaceGeometry:
        """Subclasses: construct from ``for_format``'s arguments (each takes what it needs)."""
        raise NotImplementedError

    @staticmethod
    def for_format(format: str | MotionFormat, channels: tuple[str, ...] | None = None, *,
                   rig: str | Path | BlendshapeRig | None = None,
                   flame_model: str | Path | None = None) -> FaceGeometry:
        """The geometry for a motion format: ARKit rig (resolved, see rig_choice.py) or FLAME."""
        fmt = get_format(format)
        if fmt.name not in FaceGeometry._by_format:
            raise TdmmError(f"no face geometry for {fmt.name} motion")
        return FaceGeometry._by_format[fmt.name].build(tuple(channels or fmt.channels), rig=rig,
                                                       flame_model=flame_model)
