"""FLAME parameter sequences as released by face trackers.

- SPECTRE ``.npz``: ``exp`` [T, 50], ``pose`` [T, 6] = global rotation 3 + jaw 3, ``shape`` [T or 1, 100].
- SMIRK per-video ``.pkl``: ``expression`` [T, 50], ``pose`` [T, 3] (head), ``jaw`` [T, 3],
  ``eyelid`` [T, 2], ``identity`` [T, 300], ``camera_pose`` [T, 3] (unused). Also accepted as a
  list of per-frame dicts. Read through the restricted unpickler: pickle is code.
- Generic ``.npz``: ``expression``/``exp`` [T, 50|100], ``jaw_pose``/``jaw`` [T, 3],
  ``head_pose``/``global_pose``/``global_orient`` [T, 3], optional ``eye_pose`` [T, 6],
  ``eyelid`` [T, 2], ``shape``/``betas``, ``fps``.
- BEAT2 / SMPL-X-FLAME ``.npz`` (EMAGE's release): ``expressions`` [T, 100] (FLAME expression
  coefficients), ``poses`` [T, 165] (55 SMPL-X joints x axis-angle), ``mocap_frame_rate``;
  ``betas`` (SMPL-X body shape) and ``trans`` (body translation) are not face parameters and
  are left out. See ``from_smplx_flame``.

None of these store a frame rate except the generic npz and BEAT2; otherwise the TDMM-LM corpus rate
(25 fps) is used and ``meta["fps_assumed"]`` says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from tdmm_lm.errors import MotionFileError
from tdmm_lm.motion.formats import FLAME, flame_channels
from tdmm_lm.motion.types import Motion
from tdmm_lm.safe_pickle import restricted_load

_ALIASES = {
    "expression": ("expression", "exp", "expr"),
    "jaw": ("jaw_pose", "jaw"),
    "head": ("head_pose", "global_pose", "global_orient"),
    "eyes": ("eye_pose",),
    "eyelids": ("eyelid", "eyelids"),
    "shape": ("shape", "betas", "identity"),
}


def is_spectre(arrays: Mapping[str, Any]) -> bool:
    pose = arrays.get("pose")
    return "exp" in arrays and pose is not None and np.ndim(pose) == 2 and np.shape(pose)[1] == 6


def from_spectre(path: Path, arrays: Mapping[str, Any], fps: float | None) -> Motion:
    pose = _array(path, arrays, "pose", width=6)
    parts = {"expression": _array(path, arrays, "exp"), "head": pose[:, :3], "jaw": pose[:, 3:]}
    return _assemble(path, parts, arrays.get("shape"), fps, source="spectre")


# SMPL-X joint indices from smplx 0.1.28's ``smplx/joint_names.py`` (JOINT_NAMES: 0 pelvis, ...,
# 9 spine3, 12 neck, 15 head, 22 jaw, 23 left_eye_smplhf, 24 right_eye_smplhf); checked against
# the installed package by tests/motion/test_beat2.py. Each joint is 3 axis-angle values in poses.
SMPLX_NECK, SMPLX_HEAD, SMPLX_JAW, SMPLX_LEFT_EYE, SMPLX_RIGHT_EYE = 12, 15, 22, 23, 24
SMPLX_JOINTS = 55


def is_smplx_flame(arrays: Mapping[str, Any]) -> bool:
    """BEAT2's layout: ``expressions`` + ``poses`` (no other reader uses these two names)."""
    return "expressions" in arrays and "poses" in arrays


def from_smplx_flame(path: Path, arrays: Mapping[str, Any], fps: float | None) -> Motion:
    """A BEAT2 clip as ``flame`` motion: 100 expressions, jaw, head and both eyes.

    ``head`` is the head's rotation relative to the upper body: SMPL-X splits it over the neck
    and head joints (both move in BEAT2's fits), so the two rotations are composed, neck first
    (the parent). The pelvis/spine rotations (the body turning) are left out: a face model's
    head pose describes the face, not the torso.
    """
    expr = _array(path, arrays, "expressions", width=100)
    poses = _array(path, arrays, "poses", width=SMPLX_JOINTS * 3)
    if len(expr) != len(poses):
        raise MotionFileError(path, f"'expressions' has {len(expr)} frames but 'poses' has "
                              f"{len(poses)}")
    if fps is None:
        fps = _frame_rate(path, arrays)

    def joint(i: int) -> np.ndarray:
        return poses[:, 3 * i:3 * i + 3]

    parts = {"expression": expr, "jaw": joint(SMPLX_JAW),
             "head": compose_axis_angle(joint(SMPLX_NECK), joint(SMPLX_HEAD)),
             "eyes": np.concatenate([joint(SMPLX_LEFT_EYE), joint(SMPLX_RIGHT_EYE)], axis=1)}
    return _assemble(path, parts, None, fps, source="smplx_flame")


def _frame_rate(path: Path, arrays: Mapping[str, Any]) -> float:
    if "mocap_frame_rate" not in arrays:
        raise MotionFileError(path, "missing array 'mocap_frame_rate' (BEAT2 clips store it; "
                              "pass --fps to set the rate)")
    rate = np.asarray(arrays["mocap_frame_rate"])
    if rate.size != 1 or rate.dtype.kind not in "iuf" or not float(rate.reshape(-1)[0]) > 0:
        raise MotionFileError(path, f"'mocap_frame_rate' must be one positive number, got "
                              f"{rate.dtype} array of shape {rate.shape}")
    return float(rate.reshape(-1)[0])


def compose_axis_angle(parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Axis-angle ``[T, 3]`` of ``R(parent) @ R(child)`` for axis-angle ``[T, 3]`` inputs."""
    from scipy.spatial.transform import Rotation
    return (Rotation.from_rotvec(parent) * Rotation.from_rotvec(child)).as_rotvec()


def from_smirk(path: Path, fps: float | None) -> Motion:
    obj = restricted_load(path)
    if isinstance(obj, list) and obj and all(isinstance(f, dict) for f in obj):
        try:  # one dict per frame -> one dict of [T, k] arrays
            obj = {k: np.stack([np.asarray(f[k]).reshape(-1) for f in obj]) for k in obj[0]}
        except (KeyError, ValueError) as e:
            raise MotionFileError(path, f"per-frame dicts do not share keys and sizes ({e})") from None
    if not isinstance(obj, dict):
        raise MotionFileError(path, f"expected a dict of FLAME arrays (SMIRK), got {type(obj).__name__}")
    parts = {"expression": _array(path, obj, "expression"), "head": _array(path, obj, "pose", width=3),
             "jaw": _array(path, obj, "jaw", width=3)}
    if "eyelid" in obj:
        parts["eyelids"] = _array(path, obj, "eyelid", width=2)
    return _assemble(path, parts, obj.get("identity"), fps, source="smirk")


def from_generic(path: Path, arrays: Mapping[str, Any], fps: float | None) -> Motion:
    parts: dict[str, np.ndarray] = {}
    for part in ("expression", "jaw", "head", "eyes", "eyelids"):
        key = next((k for k in _ALIASES[part] if k in arrays), None)
        if key is not None:
            parts[part] = _array(path, arrays, key)
        elif part in ("expression", "jaw", "head"):
            raise MotionFileError(path, f"no FLAME {part} array (looked for "
                                  f"{', '.join(_ALIASES[part])}; found {', '.join(sorted(arrays))})")
    shape_key = next((k for k in _ALIASES["shape"] if k in arrays), None)
    if fps is None and "fps" in arrays:
        fps = float(np.asarray(arrays["fps"]))
    return _assemble(path, parts, arrays.get(shape_key) if shape_key else None, fps, source="npz")


def _array(path: Path, arrays: Mapping[str, Any], key: str, width: int | None = None) -> np.ndarray:
    if key not in arrays:
        raise MotionFileError(path, f"missing array {key!r} (found {', '.join(sorted(arrays))})")
    try:
        a = np.asarray(arrays[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise MotionFileError(path, f"array {key!r} is not numeric") from None
    if a.ndim != 2 or (width is not None and a.shape[1] != width):
        want = f"[frames, {width}]" if width else "[frames, k]"
        raise MotionFileError(path, f"array {key!r} has shape {a.shape}, expected {want}")
    return a


def _assemble(path: Path, parts: dict[str, np.ndarray], shape: Any, fps: float | None,
              source: str) -> Motion:
    lengths = {name: len(a) for name, a in parts.items()}
    if len(set(lengths.values())) != 1:
        raise MotionFileError(path, f"arrays disagree on the frame count: {lengths}")
    n_expr = parts["expression"].shape[1]
    if n_expr not in (50, 100):
        raise MotionFileError(path, f"{n_expr} expression coefficients; tdmm-lm's flame format "
                              "takes 50 or 100")
    for name, width in (("jaw", 3), ("head", 3), ("eyes", 6), ("eyelids", 2)):
        if name in parts and parts[name].shape[1] != width:
            raise MotionFileError(path, f"{name} has {parts[name].shape[1]} values per frame, "
                                  f"expected {width}")
    order = ("expression", "jaw", "head", "eyes", "eyelids")
    data = np.concatenate([parts[k] for k in order if k in parts], axis=1)
    channels = flame_channels(n_expr, eyes="eyes" in parts, eyelids="eyelids" in parts)
    meta: dict[str, Any] = {"source": str(path), "flame_source": source}
    if fps is None:
        fps, meta["fps_assumed"] = FLAME.native_fps, True
    if shape is not None:
        shape = np.asarray(shape, dtype=np.float32)
        shape = shape.reshape(-1, shape.shape[-1]).mean(axis=0)  # per-frame identity -> one vector
    return Motion(data, fps, FLAME, channels, shape=shape, meta=meta)
