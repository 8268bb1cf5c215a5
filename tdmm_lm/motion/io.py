"""Load and save facial motion files.

| extension | read | write |
| --- | --- | --- |
| ``.csv`` | Live Link Face / Express4D take (``arkit61``) | same, with the app's header |
| ``.npz`` | tdmm-lm motion (``data``, ``channels``, ``fps``, ``format``), SPECTRE, generic FLAME | tdmm-lm motion |
| ``.pkl`` | SMIRK per-video FLAME fit (restricted unpickler) | no |

Every loaded motion is checked: at least one frame, at most ``MAX_FRAMES``, all values finite.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tdmm_lm.atomic import atomic_file
from tdmm_lm.errors import MotionFileError, TdmmError
from tdmm_lm.motion import flame_files, livelinkface
from tdmm_lm.motion.formats import get_format
from tdmm_lm.motion.livelinkface import MAX_FRAMES
from tdmm_lm.motion.types import Motion

SUFFIXES = (".csv", ".npz", ".pkl")


def load(path: str | Path, format: str | None = None, *, fps: float | None = None) -> Motion:
    """Read a motion file (see the module table); ``format`` checks the result's format.

    ``fps`` overrides the frame rate stored in or inferred from the file.
    """
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "no such file" if not path.exists() else "not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        motion = livelinkface.read_csv(path, fps=fps)
    elif suffix == ".npz":
        motion = _read_npz(path, fps)
    elif suffix == ".pkl":
        motion = flame_files.from_smirk(path, fps)
    else:
        raise MotionFileError(path, f"unknown motion file type {suffix!r}; expected one of "
                              f"{', '.join(SUFFIXES)}")
    check(motion, path)
    if format is not None and motion.format is not get_format(format):
        raise MotionFileError(path, f"holds {motion.format.name} motion, expected {format}")
    return motion


def save(motion: Motion, path: str | Path) -> Path:
    """Write ``motion`` as ``.csv`` (arkit61, Live Link Face) or ``.npz`` (any format)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise MotionFileError(path, f"cannot write {suffix!r}; use .csv (arkit61) or .npz")
    if path.parent and not path.parent.exists():
        raise MotionFileError(path, f"folder {path.parent} does not exist")
    with atomic_file(path) as tmp:   # a killed write never leaves a truncated file at ``path``
        if suffix == ".csv":
            livelinkface.write_csv(motion, tmp)
        else:
            _write_npz(motion, tmp)
    return path


def check(motion: Motion, path: str | Path) -> None:
    """Refuse empty, absurdly long or non-finite motion, naming the file, frame and channel."""
    if motion.num_frames == 0:
        raise MotionFileError(path, "motion has zero frames")
    if motion.num_frames > MAX_FRAMES:
        raise MotionFileError(path, f"motion has {motion.num_frames} frames, more than the "
                              f"{MAX_FRAMES}-frame limit")
    bad = ~np.isfinite(motion.data)
    if bad.any():
        frame, col = np.argwhere(bad)[0]
        raise MotionFileError(path, f"frame {frame} has a non-finite value "
                              f"({motion.data[frame, col]})", column=motion.channels[col])


def _read_npz(path: Path, fps: float | None) -> Motion:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise MotionFileError(path, f"not a readable .npz archive ({e})") from None
    if "data" in arrays and "channels" in arrays:
        return _from_tdmm_npz(path, arrays, fps)
    if flame_files.is_spectre(arrays):
        return flame_files.from_spectre(path, arrays, fps)
    return flame_files.from_generic(path, arrays, fps)


def _from_tdmm_npz(path: Path, arrays: dict[str, np.ndarray], fps: float | None) -> Motion:
    for key in ("fps", "format"):
        if key not in arrays:
            raise MotionFileError(path, f"tdmm-lm motion archive lacks {key!r}")
    meta: dict[str, Any] = json.loads(str(arrays["meta_json"])) if "meta_json" in arrays else {}
    meta["source"] = str(path)
    try:
        return Motion(arrays["data"], fps or float(arrays["fps"]), str(arrays["format"]),
                      tuple(str(c) for c in arrays["channels"]), shape=arrays.get("shape"),
                      meta=meta)
    except TdmmError as e:
        raise MotionFileError(path, str(e)) from None


def _write_npz(motion: Motion, path: Path) -> None:
    meta = {k: v for k, v in motion.meta.items() if k != "source"}
    arrays: dict[str, Any] = {
        "data": motion.data, "channels": np.array(motion.channels), "fps": np.float64(motion.fps),
        "format": np.array(motion.format.name), "meta_json": np.array(json.dumps(meta, default=str)),
    }
    if motion.shape is not None:
        arrays["shape"] = motion.shape
    np.savez_compressed(path, **arrays)
