"""What publish may copy: regular files inside the folder being published, never what a symlink
points at outside it.

A model folder with ``config.yaml -> /etc/passwd`` must not put ``/etc/passwd`` on the Hub, and
``upload_folder`` follows links, so the source is checked before any work (a link that leaves
the folder is refused with one line) and the staged repository folder must hold plain files
only. Links that stay inside the folder (``best -> step_000100``) are harmless and allowed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tdmm_lm.errors import TdmmError


def check_links(root: Path, what: str = "the folder to publish") -> None:
    """``TdmmError`` for the first symlink under ``root`` whose target lies outside ``root``
    (or is dangling). Links are not followed while walking."""
    top = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            target = path.resolve()
            if not target.exists() or not target.is_relative_to(top):
                raise TdmmError(f"{path}: a symlink to {os.readlink(path)}, outside {what} "
                                f"{root}; publish copies only files inside it (replace the "
                                "link with a copy of the file)")


def copy_file(src: Path, dst: Path, root: Path) -> None:
    """Copy ``src`` (a regular file, or a link resolving inside ``root``) to ``dst`` as a plain
    file; anything else is refused naming the file."""
    target = src.resolve()
    if src.is_symlink() and not target.is_relative_to(root.resolve()):
        raise TdmmError(f"{src}: a symlink to {os.readlink(src)}, outside {root}; publish copies "
                        "only files inside it")
    if not target.is_file():
        raise TdmmError(f"{src}: not a regular file; publish copies only regular files")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target, dst)
    shutil.copystat(target, dst)


def check_staged(folder: Path) -> list[str]:
    """The staged repository folder holds only directories and regular files (no links, which
    ``upload_folder`` would follow)."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise TdmmError(f"{path}: the repository folder may hold only regular files "
                                "(this is a link or a special file); nothing was uploaded")
    return ["regular files only (no symlinks)"]
