"""A restricted unpickler for model and motion files we did not write.

Pickle runs code on load, so files from the internet (SMIRK fits, FLAME models) are read with an
unpickler that builds only plain containers, numbers, strings, numpy arrays and scipy sparse
matrices. Objects of the ``chumpy`` library (used inside real FLAME pickles, and broken on modern
numpy) become ``ChumpyArray`` placeholders that ``to_plain`` turns into numpy arrays. Any other
class is refused with the file and the class named.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from tdmm_lm.errors import MotionFileError

# Python 2 pickles (FLAME 2020) name modules by their Python 2 names.
_PY2_MODULES = {"copy_reg": "copyreg", "__builtin__": "builtins"}

_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),  # protocol-2 pickles written by Python 3 store bytes through it
}
_BUILTIN_TYPES = {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
                  "int", "float", "complex", "bool", "object", "slice", "range"}
_SPARSE_CLASSES = {"csc_matrix", "csr_matrix", "coo_matrix", "csc_array", "csr_array", "coo_array"}


class ChumpyArray:
    """Stands in for a chumpy ``Ch`` object: keeps its pickled state, whose ``x`` is the array."""

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def to_numpy(self) -> np.ndarray:
        state = self.state if isinstance(self.state, dict) else {}
        if "x" not in state:
            raise ValueError("a chumpy object without an 'x' array (only plain Ch arrays are supported)")
        return np.asarray(to_plain(state["x"]))


def _allowed_class(module: str, name: str) -> type | None:
    if module == "builtins" and name in _BUILTIN_TYPES:
        return __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    if module == "collections" and name == "OrderedDict":
        import collections
        return collections.OrderedDict
    if module.startswith("chumpy"):
        return ChumpyArray
    if module.startswith("scipy.sparse") and name in _SPARSE_CLASSES:
        import scipy.sparse
        return getattr(scipy.sparse, name)
    if module in ("numpy", "numpy.core.numeric", "numpy._core.numeric") and name == "ndarray":
        return np.ndarray
    return None


def _safe_reconstructor(cls: type, base: type, state: Any) -> Any:
    """``copyreg._reconstructor`` restricted to classes we allowed through ``find_class``."""
    allowed = (ChumpyArray, object, np.ndarray) + tuple(
        getattr(__import__("scipy.sparse", fromlist=["x"]), n) for n in _SPARSE_CLASSES)
    if cls not in allowed and not issubclass(cls, (dict, list, tuple)):
        raise pickle.UnpicklingError(f"refusing to rebuild {cls!r}")
    return copyreg._reconstructor(cls, base, state)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module = _PY2_MODULES.get(module, module)
        if module == "copyreg" and name == "_reconstructor":
            return _safe_reconstructor
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        cls = _allowed_class(module, name)
        if cls is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only plain data, numpy "
                                         "arrays and scipy sparse matrices are allowed")
        return cls


def restricted_load(path: str | Path) -> Any:
    """Unpickle ``path`` allowing only data types; raise ``MotionFileError`` naming the file.

    Returns the object with chumpy placeholders already converted (see ``to_plain``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MotionFileError(path, f"cannot read file ({e.strerror})") from None
    if not raw:
        raise MotionFileError(path, "file is empty")
    try:
        obj = _RestrictedUnpickler(io.BytesIO(raw), encoding="latin1").load()
        return to_plain(obj)
    except pickle.UnpicklingError as e:
        raise MotionFileError(path, f"unsafe or unreadable pickle ({e})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            ImportError, UnicodeDecodeError, MemoryError) as e:
        raise MotionFileError(path, f"not a readable pickle ({type(e).__name__}: {e})") from None


def to_plain(obj: Any) -> Any:
    """Replace ``ChumpyArray`` placeholders with numpy arrays, recursively through containers."""
    if isinstance(obj, ChumpyArray):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj
