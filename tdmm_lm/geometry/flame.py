"""FLAME motion → vertices through ``smplx.FLAME``, with safe loading of real model files.

Getting FLAME (no model can be shipped or downloaded by this project): register at
https://flame.is.tue.mpg.de and download FLAME 2020 (``generic_model.pkl``, research licence) or
FLAME 2023 Open (``flame2023*.pkl``, reported CC-BY-4.0). Lay it out the way smplx expects:

    DIR/flame/FLAME_NEUTRAL.pkl            # the downloaded model pickle, renamed
    DIR/flame/flame_static_embedding.pkl   # optional here (landmarks are not used)
    DIR/flame/FLAME_masks.pkl              # optional: named vertex masks (lips, eye_region...)

and pass ``DIR`` (or ``DIR/flame``, or the ``.pkl`` itself) as ``--flame-model`` /
``FlameGeometry(DIR)``.

Why a sanitised copy: smplx opens the pickle with plain ``pickle.load`` (code execution on an
untrusted file, and real files need the broken ``chumpy``). We read it with
``tdmm_lm.safe_pickle.restricted_load``, convert to plain float32/int arrays (chumpy → numpy,
sparse ``J_regressor`` → dense), write a plain ``.npz`` plus an empty landmark embedding into a
private temporary folder, and let smplx build its layer from that. This keeps smplx's own
buffer set-up (shapedirs split, posedirs layout, parents) instead of re-implementing it; the
folder is deleted once the layer is built.

Channels map to smplx as: ``expr_*`` → expression, ``jaw_*`` → jaw_pose, ``head_*`` →
global_orient, ``eye_0..2`` / ``eye_3..5`` → leye_pose / reye_pose. ``eyelid_*`` (SMIRK) have no
basis in FLAME itself and are ignored. Units: metres.
"""

from __future__ import annotations

import pickle
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from tdmm_lm.errors import MotionFileError, TdmmError
from tdmm_lm.geometry.base import FaceGeometry
from tdmm_lm.motion.formats import FLAME
from tdmm_lm.safe_pickle import restricted_load

N_SHAPE, N_EXPRESSION, N_JOINTS = 300, 100, 5   # FLAME: shapedirs = 300 shape + 100 expression
_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")
SYNTHETIC_NOTE = "SYNTHETIC FLAME-FORMAT MODEL FOR TESTS: random geometry, NOT A FACE"


def find_flame_model(path: str | Path) -> Path:
    """The model pickle for ``path``: the file itself, ``path/flame/FLAME_NEUTRAL.pkl`` or
    ``path/FLAME_NEUTRAL.pkl``; ``TdmmError`` naming what was looked for otherwise."""
    path = Path(path)
    for cand in (path, path / "flame" / "FLAME_NEUTRAL.pkl", path / "FLAME_NEUTRAL.pkl"):
        if cand.is_file():
            return cand
    raise TdmmError(f"no FLAME model at {path}: expected {path}/flame/FLAME_NEUTRAL.pkl "
                    "(download FLAME from https://flame.is.tue.mpg.de and rename it)")


def load_flame_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Read a FLAME pickle safely → plain arrays for the keys smplx needs (shapes checked)."""
    path = find_flame_model(path)
    raw = restricted_load(path)
    if not isinstance(raw, dict):
        raise MotionFileError(path, "not a FLAME model: expected a dict of arrays")
    missing = [k for k in _KEYS if k not in raw]
    if missing:
        raise MotionFileError(path, f"not a FLAME model: missing {missing}")
    out = {}
    for key in _KEYS:
        value = raw[key]
        value = value.toarray() if hasattr(value, "toarray") else np.asarray(value)
        out[key] = value.astype(np.int64 if key in ("kintree_table", "f") else np.float32)
    v = out["v_template"].shape[0]
    expected = {"v_template": (v, 3), "shapedirs": (v, 3, N_SHAPE + N_EXPRESSION),
                "posedirs": (v, 3, 9 * (N_JOINTS - 1)), "J_regressor": (N_JOINTS, v),
                "weights": (v, N_JOINTS), "kintree_table": (2, N_JOINTS)}
    for key, shape in expected.items():
        if out[key].shape != shape:   # smplx would silently fall back to 10/10 components
            raise MotionFileError(path, f"FLAME field {key!r} has shape {list(out[key].shape)}, "
                                  f"expected {list(shape)}")
    out["kintree_table"][0, 0] = -1   # real files store 2**32-1 for "no parent"
    return out


def _build_layer(arrays: dict[str, np.ndarray], n_expression: int):
    import smplx
    with tempfile.TemporaryDirectory(prefix="tdmm_flame_") as tmp:   # private (mode 0700)
        np.savez(Path(tmp) / "FLAME_NEUTRAL.npz", **arrays)
        with open(Path(tmp) / "flame_static_embedding.pkl", "wb") as fh:   # our own plain file
            pickle.dump({"lmk_face_idx": np.zeros(0, np.int64),
                         "lmk_b_coords": np.zeros((0, 3), np.float32)}, fh)
        return smplx.FLAME(model_path=tmp, ext="npz", num_betas=N_SHAPE,
                           num_expression_coeffs=n_expression, create_betas=False,
                           create_expression=False, create_global_orient=False,
                           create_neck_pose=False, create_jaw_pose=False, create_leye_pose=False,
                           create_reye_pose=False, create_transl=False, create_body_pose=False)


class FlameGeometry(FaceGeometry, format_name="flame"):
    """``FlameGeometry(model, channels=flame_channels(50))``: FLAME through smplx (metres)."""

    uses_shape = True

    @classmethod
    def build(cls, channels, *, rig, flame_model) -> FlameGeometry:
        if flame_model is None:
            raise TdmmError("FLAME motion needs a FLAME model: pass --flame-model DIR (a folder "
                            "with flame/FLAME_NEUTRAL.pkl, see tdmm_lm/geometry/flame.py)")
        return cls(flame_model, channels)

    def __init__(self, model: str | Path, channels: tuple[str, ...] | None = None):
        super().__init__()
        self.format = FLAME
        self.channels = tuple(channels or FLAME.channels)
        FLAME.validate_channels(self.channels)
        self.n_expression = sum(c.startswith("expr_") for c in self.channels)
        self.eye_start = self.channels.index("eye_0") if "eye_0" in self.channels else None
        model_file = find_flame_model(model)
        arrays = load_flame_arrays(model_file)
        self.flame = _build_layer(arrays, self.n_expression)
        for p in self.flame.parameters():    # a fixed model: gradients go to the motion only
            p.requires_grad_(False)
        for module in self.flame.modules():  # keep geometry out of parents' state_dict
            module._non_persistent_buffers_set.update(module._buffers)
        self.triangles, self.units, self.mm_per_unit = arrays["f"], "m", 1000.0
        self._weights, self._v_template = arrays["weights"], arrays["v_template"]
        self._expr_dirs = arrays["shapedirs"][:, :, N_SHAPE:N_SHAPE + self.n_expression]
        self._joints = arrays["J_regressor"] @ arrays["v_template"]
        masks = model_file.parent / "FLAME_masks.pkl"
        self._masks = restricted_load(masks) if masks.is_file() else None

    def vertices(self, motion: Tensor, *, vertex_ids: Tensor | np.ndarray | None = None,
                 shape: Tensor | None = None) -> Tensor:
        """``motion[B, T, D]`` (flame channels) → ``[B, T, V, 3]`` metres; ``shape[B, S<=300]``."""
        b, t, d = motion.shape
        if d != len(self.channels):
            raise TdmmError(f"FLAME motion has {d} channels, this geometry expects {len(self.channels)}")
        self.flame.to(motion.device)
        x = motion.reshape(b * t, d).float()
        n = self.n_expression
        zeros3 = x.new_zeros(b * t, 3)   # every input gets the same batch size (smplx fallbacks)
        eyes = (x[:, self.eye_start:self.eye_start + 3], x[:, self.eye_start + 3:self.eye_start + 6]
                ) if self.eye_start is not None else (zeros3, zeros3)
        betas = x.new_zeros(b * t, N_SHAPE)
        if shape is not None:
            s = shape.to(x).repeat_interleave(t, 0)
            betas = torch.cat([s, betas[:, s.shape[1]:]], 1)
        out = self.flame(betas=betas, expression=x[:, :n], jaw_pose=x[:, n:n + 3],
                         global_orient=x[:, n + 3:n + 6], neck_pose=zeros3, leye_pose=eyes[0],
                         reye_pose=eyes[1], transl=zeros3).vertices
        if vertex_ids is not None:
            out = out[:, torch.as_tensor(vertex_ids, dtype=torch.long, device=out.device)]
        return out.reshape(b, t, out.shape[1], 3).to(motion.dtype)

    def region_influence(self) -> dict[str, np.ndarray]:
        """``jaw``: jaw-joint skinning × lever arm; ``eyes``: eyeballs; ``expression``: basis norm."""
        w = self._weights
        lever = np.linalg.norm(self._v_template - self._joints[2], axis=1)
        eyes = np.where(w[:, 3:5].sum(1) > 0.5, np.inf, 0.0)
        expr = np.sqrt((self._expr_dirs ** 2).sum(axis=(1, 2)))
        return {"jaw": w[:, 2] * lever, "eyes": eyes, "expression": expr}

    @property
    def regions(self) -> dict[str, np.ndarray]:
        """Derived regions, overridden by ``FLAME_masks.pkl`` (lips, eye_region...) when present."""
        derived = super().regions
        if not isinstance(self._masks, dict):
            return derived
        return {**derived, **{str(k): np.asarray(v, np.int64) for k, v in self._masks.items()}}


def make_synthetic_flame_model(directory: str | Path, n_vertices: int = 600, seed: int = 0) -> Path:
    """Write a FLAME-FORMAT model (NOT A FACE) to ``directory/flame/`` for tests; returns ``directory``.

    Same keys, dtypes and layout as a real FLAME 2020 pickle: v_template [V, 3] and shapedirs
    [V, 3, 400] as chumpy objects, posedirs [V, 3, 36], J_regressor [5, V] scipy-sparse,
    weights [V, 5], kintree_table [2, 5] (root parent 2**32-1), f [F, 3]; plus an empty static
    landmark embedding. Geometry: a 10 cm sphere of random points; jaw = lower half, eyeballs
    = two small front clusters; random small bases. The ``synthetic_note`` field says so.
    """
    import scipy.sparse
    from scipy.spatial import ConvexHull
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(n_vertices, 3))
    pts = 0.1 * pts / np.linalg.norm(pts, axis=1, keepdims=True)
    faces = ConvexHull(pts).simplices.astype(np.int64)
    weights = np.zeros((n_vertices, N_JOINTS))
    weights[:, 0], weights[:, 1] = 0.3, 0.7
    jaw = pts[:, 1] < -0.02
    weights[jaw] = [0.0, 0.2, 0.8, 0, 0]
    for j, side in ((3, 1), (4, -1)):
        eye = np.linalg.norm(pts - [side * 0.035, 0.03, 0.09], axis=1) < 0.02
        weights[eye] = np.eye(N_JOINTS)[j]
    regress = np.zeros((N_JOINTS, n_vertices))
    for j in range(N_JOINTS):
        members = np.nonzero(weights[:, j] > 0.5)[0] if j >= 2 else np.arange(n_vertices)
        members = members if len(members) else np.arange(n_vertices)
        regress[j, members] = 1.0 / len(members)
    model = {
        "v_template": pts, "shapedirs": rng.normal(scale=1e-3, size=(n_vertices, 3, 400)),
        "posedirs": rng.normal(scale=1e-4, size=(n_vertices, 3, 36)),
        "J_regressor": scipy.sparse.csc_matrix(regress), "weights": weights,
        "kintree_table": np.array([[2 ** 32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], np.int64),
        "f": faces, "bs_style": "lbs", "bs_type": "lrotmin", "synthetic_note": SYNTHETIC_NOTE,
    }
    out = Path(directory) / "flame"
    out.mkdir(parents=True, exist_ok=True)
    with _fake_chumpy() as ch:   # pickle two arrays as chumpy objects, like the real files
        model["v_template"], model["shapedirs"] = ch(model["v_template"]), ch(model["shapedirs"])
        with open(out / "FLAME_NEUTRAL.pkl", "wb") as fh:
            pickle.dump(model, fh, protocol=2)
    with open(out / "flame_static_embedding.pkl", "wb") as fh:
        pickle.dump({"lmk_face_idx": np.zeros(0, np.int64),
                     "lmk_b_coords": np.zeros((0, 3)), "synthetic_note": SYNTHETIC_NOTE}, fh)
    return Path(directory)


class _fake_chumpy:
    """Context: a stand-in ``chumpy.ch.Ch`` class so pickles carry chumpy objects as real ones do."""

    def __enter__(self):
        mod = types.ModuleType("chumpy.ch")

        class Ch:
            def __init__(self, x):
                self.x = np.asarray(x)

            def __getstate__(self):
                return {"x": self.x}

        Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
        mod.Ch = Ch
        self._saved = {k: sys.modules.get(k) for k in ("chumpy", "chumpy.ch")}
        sys.modules["chumpy"] = types.ModuleType("chumpy")
        sys.modules["chumpy.ch"] = mod
        return Ch

    def __exit__(self, *exc):
        for k, v in self._saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
