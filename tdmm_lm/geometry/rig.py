"""ARKit blendshape rigs: the ``BlendshapeRig`` type, its ``.npz`` file format and loading.

A rig file holds (V vertices, K blendshapes, F triangles):

| key | shape | meaning |
| --- | --- | --- |
| ``neutral`` | [V, 3] float | neutral face, in ``units`` |
| ``deltas`` | [K, V, 3] float (float16 fine) | per-blendshape offsets, ``blendshape_names`` order |
| ``blendshape_names`` | [K] str | ARKit names; matched to motion channels BY NAME |
| ``triangles`` | [F, 3] int | faces |
| ``units`` | () str | ``mm``, ``cm`` or ``m`` |
| ``identity`` | [S, V, 3] float, optional | identity shape offsets |
| ``head_pivot`` | [3], optional | centre of head rotation (default: a neck point from the bbox) |
| ``eye_left_vertices``, ``eye_right_vertices`` | [n] int, optional | eyeball vertices |
| ``eye_pivots`` | [2, 3], optional | left, right eyeball centres |
| ``vertex_colors`` | [V, 3] float 0..1, optional | albedo for rendering |

Which rig a command uses is decided in ``rig_choice.py`` (default: the packaged ICT-FaceKit face).
Build a rig with ``python data_recipes/ict_facekit_rig.py --facekit DIR --out RIG.npz``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tdmm_lm.errors import MotionFileError

MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "m": 1000.0}


@dataclass
class BlendshapeRig:
    """A linear blendshape face: ``neutral + Σ w_k · deltas[k]`` (see module docstring for keys)."""

    neutral: np.ndarray
    deltas: np.ndarray
    blendshape_names: tuple[str, ...]
    triangles: np.ndarray
    units: str = "cm"
    identity: np.ndarray | None = None
    head_pivot: np.ndarray | None = None
    eye_left_vertices: np.ndarray | None = None
    eye_right_vertices: np.ndarray | None = None
    eye_pivots: np.ndarray | None = None
    vertex_colors: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        self.blendshape_names = tuple(str(n) for n in self.blendshape_names)
        self.units = str(self.units)
        where = self.source or "rig"
        v = self.neutral.shape[0] if self.neutral.ndim == 2 else -1
        checks = [
            (self.neutral.ndim == 2 and self.neutral.shape[1] == 3, "neutral must be [V, 3]"),
            (self.deltas.shape == (len(self.blendshape_names), v, 3),
             f"deltas must be [K, V, 3] = [{len(self.blendshape_names)}, {v}, 3], "
             f"got {list(self.deltas.shape)}"),
            (self.triangles.ndim == 2 and self.triangles.shape[1] == 3
             and self.triangles.size > 0 and 0 <= self.triangles.min()
             and self.triangles.max() < v, "triangles must be [F, 3] indices into neutral"),
            (self.units in MM_PER_UNIT, f"units must be one of {sorted(MM_PER_UNIT)}"),
            (self.identity is None or self.identity.shape[1:] == (v, 3),
             "identity must be [S, V, 3]"),
        ]
        for ok, problem in checks:
            if not ok:
                raise MotionFileError(where, f"not a valid blendshape rig: {problem}")
        if self.head_pivot is None:
            self.head_pivot = default_head_pivot(self.neutral)

    @property
    def num_vertices(self) -> int:
        return int(self.neutral.shape[0])

    @property
    def mm_per_unit(self) -> float:
        return MM_PER_UNIT[self.units]

    def delta(self, name: str) -> np.ndarray:
        """The ``[V, 3]`` float32 offsets of one blendshape, by ARKit name."""
        return self.deltas[self.blendshape_names.index(name)].astype(np.float32)

    def save(self, path: str | Path) -> None:
        """Write the rig as ``.npz`` (optional fields only when set)."""
        arrays = {"neutral": self.neutral.astype(np.float32), "deltas": self.deltas,
                  "blendshape_names": np.array(self.blendshape_names),
                  "triangles": self.triangles.astype(np.int32), "units": np.array(self.units),
                  "head_pivot": np.asarray(self.head_pivot, np.float32)}
        for key in ("identity", "eye_left_vertices", "eye_right_vertices", "eye_pivots",
                    "vertex_colors"):
            if getattr(self, key) is not None:
                arrays[key] = getattr(self, key)
        np.savez_compressed(path, **arrays)


def default_head_pivot(neutral: np.ndarray) -> np.ndarray:
    """A neck point: mid x, 40% up the bbox, at the back (roughly the top of the spine)."""
    lo, hi = neutral.min(0), neutral.max(0)
    return np.array([(lo[0] + hi[0]) / 2, lo[1] + 0.4 * (hi[1] - lo[1]), lo[2]], np.float32)


def load_rig(path: str | Path) -> BlendshapeRig:
    """Read a rig ``.npz``; ``MotionFileError`` naming the file and field when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "rig file not found (pass an ARKit rig .npz, see "
                              "data_recipes/ict_facekit_rig.py)")
    try:
        with np.load(path, allow_pickle=False) as z:  # no pickles: a rig is plain arrays
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise MotionFileError(path, f"not a readable .npz rig ({e})") from None
    missing = [k for k in ("neutral", "deltas", "blendshape_names", "triangles") if k not in data]
    if missing:
        raise MotionFileError(path, f"not a blendshape rig: missing arrays {missing}")
    bad = next((k for k, v in data.items() if k != "blendshape_names" and k != "units"
                and v.dtype.kind not in "fiub"), None)
    if bad is not None:   # strings or objects where numbers belong would fail deep in numpy
        raise MotionFileError(path, f"array {bad!r} holds {data[bad].dtype} values, expected "
                              "numbers", column=bad)
    if data["triangles"].dtype.kind not in "iu":
        raise MotionFileError(path, f"'triangles' holds {data['triangles'].dtype} values, "
                              "expected integer vertex indices", column="triangles")
    return BlendshapeRig(
        neutral=data["neutral"].astype(np.float32), deltas=data["deltas"],
        blendshape_names=tuple(data["blendshape_names"].tolist()),
        triangles=data["triangles"].astype(np.int64),
        units=str(data["units"]) if "units" in data else "cm",
        identity=data.get("identity"), head_pivot=data.get("head_pivot"),
        eye_left_vertices=data.get("eye_left_vertices"),
        eye_right_vertices=data.get("eye_right_vertices"),
        eye_pivots=data.get("eye_pivots"), vertex_colors=data.get("vertex_colors"),
        source=str(path))
