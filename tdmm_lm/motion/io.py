"""Load and save facial motion files.

| extension | read | write |
| --- | --- | --- |
| ``.csv`` | Live Link Face / Express4D take (``arkit61``) | same, with the app's header |
| ``.npz`` | tdmm-lm motion (``data``, ``channels``, ``fps``, ``format``), SPECTRE, BEAT2 (SMPL-X + FLAME), generic FLAME | tdmm-lm motion |
| ``.pkl`` | SMIRK per-video FLAME fit (restricted unpickler) | no |

Every loaded motion is checked: at least one frame, at most the ``motion_frames`` limit
(``tdmm_lm/limits.py``), all values finite. Live Link Face takes with missing frames (tracking
lost, timecodes skipped) follow a ``GapPolicy`` (``motion/gaps.py``): ``load`` returns one
motion, ``load_pieces`` every piece of a take the policy splits. Sizes are checked before parsing (``tdmm_lm.limits``): the file,
each CSV line and the CSV row count (streamed), and the unpacked size of an ``.npz``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tdmm_lm.atomic import atomic_file
from tdmm_lm.errors import MotionFileError, TdmmError
from tdmm_lm.limits import check_limit
from tdmm_lm.motion import flame_files, livelinkface
from tdmm_lm.motion.formats import get_format
from tdmm_lm.motion.gaps import GapPolicy
from tdmm_lm.motion.types import Motion

SUFFIXES = (".csv", ".npz", ".pkl")


def load(path: str | Path, format: str | None = None, *, fps: float | None = None,
         gaps: GapPolicy = GapPolicy()) -> Motion:
    """Read a motion file (see the module table); ``format`` checks the result's format.

    ``fps`` overrides the frame rate stored in or inferred from the file. A Live Link Face take
    that ``gaps`` splits is refused with one line (use ``load_pieces``).
    """
    return _load(path, format, fps, gaps, pieces=False)[0]


def load_pieces(path: str | Path, format: str | None = None, *, fps: float | None = None,
                gaps: GapPolicy = GapPolicy()) -> list[Motion]:
    """Like ``load``, but a take that ``gaps`` splits comes back as its pieces, in time order
    (each piece's ``meta`` says ``piece``/``pieces``; ``meta["gaps"]`` accounts for the rest)."""
    return _load(path, format, fps, gaps, pieces=True)


def _load(path: str | Path, format: str | None, fps: float | None, gaps: GapPolicy, *,
          pieces: bool) -> list[Motion]:
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "no such file" if not path.exists() else "not a file")
    suffix = path.suffix.lower()
    check_limit("file_bytes", path.stat().st_size, f"{path}: file size in bytes")
    if suffix == ".csv":
        read = livelinkface.read_pieces if pieces else livelinkface.read_csv
        motions = read(path, fps=fps, gaps=gaps)
        motions = motions if pieces else [motions]
    elif suffix == ".npz":
        motions = [_read_npz(path, fps)]
    elif suffix == ".pkl":
        motions = [flame_files.from_smirk(path, fps)]
    else:
        raise MotionFileError(path, f"unknown motion file type {suffix!r}; expected one of "
                              f"{', '.join(SUFFIXES)}")
    for motion in motions:
        check(motion, path)
        if format is not None and motion.format is not get_format(format):
            raise MotionFileError(path, f"holds {motion.format.name} motion, expected {format}")
    return motions


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
    check_limit("motion_frames", motion.num_frames, f"{path}: number of frames")
    bad = ~np.isfinite(motion.data)
    if bad.any():
        frame, col = np.argwhere(bad)[0]
        raise MotionFileError(path, f"frame {frame} has a non-finite value "
                              f"({motion.data[frame, col]})", column=motion.channels[col])


def _check_npz_members(path: Path) -> None:
    """Refuse an archive whose arrays unpack to more than ``file_bytes`` (a small compressed
    file can hold gigabytes of zeros)."""
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (OSError, zipfile.BadZipFile) as e:
        raise MotionFileError(path, f"not a readable .npz archive ({e})") from None
    check_limit("file_bytes", unpacked, f"{path}: unpacked size of the arrays in bytes")


def _read_npz(path: Path, fps: float | None) -> Motion:
    _check_npz_members(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise MotionFileError(path, f"not a readable .npz archive ({e})") from None
    if "data" in arrays and "channels" in arrays:
        return _from_tdmm_npz(path, arrays, fps)
    if flame_files.is_smplx_flame(arrays):
        return flame_files.from_smplx_flame(path, arrays, fps)
    if flame_files.is_spectre(arrays):
        return flame_files.from_spectre(path, arrays, fps)
    return flame_files.from_generic(path, arrays, fps)


def _from_tdmm_npz(path: Path, arrays: dict[str, np.ndarray], fps: float | None) -> Motion:
    for key in ("fps", "format"):
        if key not in arrays:
            raise MotionFileError(path, f"tdmm-lm motion archive lacks {key!r}")
    meta = _meta(path, arrays["meta_json"]) if "meta_json" in arrays else {}
    meta["source"] = str(path)
    data = arrays["data"]
    if data.dtype.kind not in "fiub":   # strings or objects would fail deep inside float()
        raise MotionFileError(path, f"'data' holds {data.dtype} values, expected numbers",
                              column="data")
    fps = fps or _scalar(path, arrays["fps"], "fps")
    fmt = _text(path, arrays["format"], "format")
    try:
        return Motion(data, fps, fmt, tuple(str(c) for c in np.atleast_1d(arrays["channels"])),
                      shape=arrays.get("shape"), meta=meta)
    except TdmmError as e:
        raise MotionFileError(path, str(e)) from None


def _scalar(path: Path, value: np.ndarray, key: str) -> float:
    """A one-number array as a float; anything else names the key and what it held."""
    if value.size != 1 or value.dtype.kind not in "fiub":
        raise MotionFileError(path, f"{key!r} must be one number, got a {value.dtype} array of "
                              f"shape {value.shape}", column=key)
    return float(value.reshape(()))


def _text(path: Path, value: np.ndarray, key: str) -> str:
    if value.size != 1 or value.dtype.kind not in "US":
        raise MotionFileError(path, f"{key!r} must be one string, got a {value.dtype} array of "
                              f"shape {value.shape}", column=key)
    return str(value.reshape(()))


def _meta(path: Path, value: np.ndarray) -> dict[str, Any]:
    """``meta_json``: a JSON object written by ``_write_npz``."""
    try:
        meta = json.loads(_text(path, value, "meta_json"))
    except json.JSONDecodeError as e:
        raise MotionFileError(path, f"'meta_json' is not valid JSON ({e.msg} at char {e.pos})",
                              column="meta_json") from None
    if not isinstance(meta, dict):
        raise MotionFileError(path, f"'meta_json' must be a JSON object, got "
                              f"{type(meta).__name__}", column="meta_json")
    return meta


def _write_npz(motion: Motion, path: Path) -> None:
    meta = {k: v for k, v in motion.meta.items() if k != "source"}
    arrays: dict[str, Any] = {
        "data": motion.data, "channels": np.array(motion.channels), "fps": np.float64(motion.fps),
        "format": np.array(motion.format.name), "meta_json": np.array(json.dumps(meta, default=str)),
    }
    if motion.shape is not None:
        arrays["shape"] = motion.shape
    np.savez_compressed(path, **arrays)
