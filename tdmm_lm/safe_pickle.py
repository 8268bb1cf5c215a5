"""A restricted unpickler for model and motion files we did not write.

Pickle runs code on load, so files from the internet (SMIRK fits, FLAME models) are read with an
unpickler that builds only plain containers, numbers, strings, numpy arrays and scipy sparse
matrices. Objects of the ``chumpy`` library (used inside real FLAME pickles, and broken on modern
numpy) become ``ChumpyArray`` placeholders that ``to_plain`` turns into numpy arrays. Any other
class is refused with the file and the class named. Reading is bounded (``tdmm_lm.limits``): the
file size, what any constructor call may ask for (``pickle_bytes``) and the nesting depth
(``pickle_depth``).
"""

from __future__ import annotations

import copyreg
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from tdmm_lm.errors import MotionFileError
from tdmm_lm.limits import check_limit, limit

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


def _claimed_size(args: Any) -> int:
    """The largest size a call's arguments could ask for: a bare int (``bytearray(n)``), the
    product of a tuple of ints (an array shape) or a range's length."""
    if not isinstance(args, tuple):
        return 0
    top = 0
    for a in args:
        if isinstance(a, bool):
            continue
        if isinstance(a, int):
            top = max(top, abs(a))
        elif isinstance(a, range):
            top = max(top, len(a))
        elif isinstance(a, tuple) and a and all(isinstance(x, int) for x in a):
            n = 1
            for x in a:
                n *= max(abs(x), 1)
            top = max(top, n)
    return top


class _RestrictedUnpickler(pickle._Unpickler):
    """The pure-Python unpickler (its opcodes can be checked one by one) with a class allow-list
    and bounded calls: REDUCE and NEWOBJ may not be asked for more than ``pickle_bytes``
    (``bytearray(2**31)`` or an array shape of 2**31 elements in a 30-byte file)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def _check_call(self, func: Any, args: Any) -> None:
        top = limit("pickle_bytes")
        size = _claimed_size(args) * (8 if func is not bytes and func is not bytearray else 1)
        if size > top:
            raise pickle.UnpicklingError(
                f"a call to {getattr(func, '__name__', func)} asks for about {size:g} bytes, over "
                f"the pickle_bytes limit of {top:g}; set TDMM_MAX_PICKLE_BYTES to allow more")

    def load_reduce(self) -> None:
        self._check_call(self.stack[-2], self.stack[-1])
        super().load_reduce()
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self) -> None:
        self._check_call(self.stack[-2], self.stack[-1])
        super().load_newobj()
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self) -> None:
        self._check_call(self.stack[-3], self.stack[-2])
        super().load_newobj_ex()
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

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
        check_limit("pickle_bytes", path.stat().st_size, f"{path}: file size in bytes")
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
    except RecursionError:
        raise MotionFileError(path, "pickle nests too deeply to read") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            ImportError, UnicodeDecodeError, MemoryError) as e:
        raise MotionFileError(path, f"not a readable pickle ({type(e).__name__}: {e})") from None


def to_plain(obj: Any, depth: int = 0) -> Any:
    """Replace ``ChumpyArray`` placeholders with numpy arrays, recursively through containers;
    nesting deeper than the ``pickle_depth`` limit is refused (``UnpicklingError``) instead of
    ending in a ``RecursionError``."""
    if depth > limit("pickle_depth"):
        raise pickle.UnpicklingError(f"containers nest more than {limit('pickle_depth'):g} levels "
                                     "deep (the pickle_depth limit; set TDMM_MAX_PICKLE_DEPTH)")
    if isinstance(obj, ChumpyArray):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v, depth + 1)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v, depth + 1) for v in obj)
    return obj
