"""Which ARKit rig a command uses (``resolve_rig``).

In order: an explicit rig or path (``--rig PATH``; the word ``procedural`` asks for the built-in
procedural face of ``procedural_rig.py``), else ``$TDMM_ARKIT_RIG``, else the user cache
``$XDG_CACHE_HOME/tdmm_lm/arkit_rig.npz`` (``~/.cache`` by default), else the ICT-FaceKit face
shipped inside the package (``assets/ict_arkit_rig.npz``, MIT; see ``assets/PROVENANCE.md``).
A fresh install therefore renders, trains and measures on a real face topology; the procedural
face is only ever used when asked for by name.
"""

from __future__ import annotations

import os
from pathlib import Path

from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry.rig import BlendshapeRig, load_rig

RIG_ENV = "TDMM_ARKIT_RIG"
PROCEDURAL = "procedural"   # the value of --rig that selects the built-in procedural face
PACKAGED_RIG = Path(__file__).resolve().parent / "assets" / "ict_arkit_rig.npz"


def user_cache_rig_path() -> Path:
    """``$XDG_CACHE_HOME/tdmm_lm/arkit_rig.npz`` (``~/.cache`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tdmm_lm" / "arkit_rig.npz"


def resolve_rig(path: str | Path | BlendshapeRig | None = None) -> BlendshapeRig:
    """The rig to use: ``path`` (or ``"procedural"``), else ``$TDMM_ARKIT_RIG``, else the user
    cache, else the packaged ICT-FaceKit rig (see the module docstring)."""
    if isinstance(path, BlendshapeRig):
        return path
    if path is not None and str(path) == PROCEDURAL:
        from tdmm_lm.geometry.procedural_rig import procedural_rig  # built only when asked for
        return procedural_rig()
    if path is not None:
        return load_rig(path)
    env = os.environ.get(RIG_ENV)
    if env:
        if env == PROCEDURAL:
            return resolve_rig(PROCEDURAL)
        if not Path(env).is_file():
            raise TdmmError(f"${RIG_ENV} points to {env}, which does not exist; fix or unset it")
        return load_rig(env)
    cached = user_cache_rig_path()
    if cached.is_file():
        return load_rig(cached)
    return packaged_rig()


def packaged_rig() -> BlendshapeRig:
    """The ICT-FaceKit ARKit rig inside the package (a broken install gets one clear line)."""
    if not PACKAGED_RIG.is_file():
        raise TdmmError(f"the packaged ARKit rig {PACKAGED_RIG} is missing (an install without "
                        "package data?); reinstall tdmm-lm, or pass --rig RIG.npz or --rig "
                        f"{PROCEDURAL}")
    return load_rig(PACKAGED_RIG)
