"""Atomic writes: every file and folder the project produces appears whole or not at all.

Output is written beside its destination (same folder, so the final ``os.replace`` cannot cross
file systems) under a hidden ``.NAME.partial-PID-XXXX`` name and renamed into place at the end.
A process killed mid-write leaves that sibling, never a truncated ``NAME``; the next write to the
same destination removes siblings whose process is gone. ``overwrite`` replaces an existing
output only after the new one is complete, so a failed run keeps the user's old file or folder.

    atomic_write_text(path, text)
    with atomic_file("take.npz") as tmp:            # tmp keeps the suffix (np.savez appends one)
        np.savez_compressed(tmp, **arrays)
    with atomic_folder("data/facescript", overwrite=True) as tmp:
        dataset_dict.save_to_disk(str(tmp))
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from tdmm_lm.errors import TdmmError

PARTIAL = ".partial-"


def _prefix(dest: Path) -> str:
    return f".{dest.name}{PARTIAL}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's live process
        return True
    return True


def remove_stale_partials(dest: str | Path) -> list[Path]:
    """Delete the ``.NAME.partial-PID-*`` siblings of ``dest`` left by processes that are gone
    (a killed run); those of a live process (a concurrent write) stay. Returns what went."""
    dest = Path(dest)
    removed = []
    if not dest.parent.is_dir():
        return removed
    for p in dest.parent.glob(_prefix(dest) + "*"):
        pid = p.name[len(_prefix(dest)):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _scratch_name(dest: Path) -> str:
    return f"{_prefix(dest)}{os.getpid()}-"


def _parent(dest: Path) -> Path:
    if not dest.parent.is_dir():
        raise TdmmError(f"{dest}: folder {dest.parent} does not exist")
    return dest.parent


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a scratch path beside ``path`` (same suffix) to write; on success it replaces
    ``path`` in one rename, on any error it is deleted and ``path`` is untouched."""
    dest = Path(path)
    remove_stale_partials(dest)
    fd, name = tempfile.mkstemp(prefix=_scratch_name(dest), suffix=dest.suffix, dir=_parent(dest))
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.is_file():
            raise TdmmError(f"{dest}: nothing was written")
        mode = dest.stat().st_mode & 0o777 if dest.is_file() else 0o666 & ~_umask()
        tmp.chmod(mode)   # mkstemp makes it owner-only; an output gets the usual permissions
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_folder(dest: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty scratch folder beside ``dest`` to fill; on success it becomes ``dest``.

    An existing non-empty ``dest`` is an error unless ``overwrite``; with it, the old folder is
    moved aside and deleted only after the new one is in place. On any error the scratch folder
    is deleted and ``dest`` is untouched.
    """
    dest = Path(dest)
    if dest.exists() and not overwrite and not (dest.is_dir() and not any(dest.iterdir())):
        raise TdmmError(f"{dest} exists; pass --overwrite or choose another output")
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(dest)
    tmp = Path(tempfile.mkdtemp(prefix=_scratch_name(dest), dir=dest.parent))
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())    # mkdtemp makes it owner-only
        old = None
        if dest.exists() or dest.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=_scratch_name(dest), dir=dest.parent))
            os.replace(dest, old / "old")   # moved aside in one rename, deleted once replaced
        try:
            os.replace(tmp, dest)
        except OSError:
            if old is not None:
                os.replace(old / "old", dest)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
