"""Resource limits, declared once and checked before any work is done.

Every reader, decoder and generator asks here before it allocates, so a hostile or broken input
(a 2M-row CSV, a 4M-code file, ``--seconds 1e9``, a config that says ``width: 10000000``) is
refused with one line instead of taking the machine down. Each limit is generous for real use;
a user who needs more sets the environment variable named beside it (``TDMM_MAX_...``).

    from tdmm_lm.limits import limit
    if frames > limit("motion_frames"): raise TdmmError(...)
"""

from __future__ import annotations

import os
from typing import Any, Callable, TypeVar

from tdmm_lm.errors import TdmmError

T = TypeVar("T")

# name -> (default, why). The environment variable is TDMM_MAX_<NAME upper-cased>.
DEFAULTS: dict[str, tuple[float, str]] = {
    "motion_frames": (60 * 60 * 60, "one hour at 60 fps: longer is a broken export, not a take"),
    "motion_seconds": (3600.0, "one hour of motion"),
    "fps": (1000.0, "no capture device writes faster; resampling above it only wastes memory"),
    "file_bytes": (2 * 1024**3, "a one-hour 61-channel CSV is about 150 MB"),
    "csv_line_bytes": (128 * 1024, "one Live Link Face row is about 1 kB"),
    "decode_codes": (200_000, "about 7 hours of motion at 7.5 token steps per second"),
    "generate_seconds": (600.0, "ten minutes of generated motion per prompt"),
    "model_parameters": (20e9, "the largest language model a config may ask us to build or load"),
    "network_parameters": (1e9, "tokenizers, baselines and extractors have a few million"),
    "pickle_bytes": (512 * 1024**2, "a FLAME model pickle is about 50 MB"),
    "pickle_depth": (64, "real FLAME and SMIRK pickles nest a handful of levels"),
}


def limit(name: str) -> float:
    """The limit ``name`` (see ``DEFAULTS``), or ``$TDMM_MAX_<NAME>`` when set."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown limit {name!r}; known: {sorted(DEFAULTS)}")
    env = f"TDMM_MAX_{name.upper()}"
    raw = os.environ.get(env)
    if raw is None:
        return DEFAULTS[name][0]
    try:
        value = float(raw)
    except ValueError:
        raise TdmmError(f"${env}: must be a number, got {raw!r}") from None
    if not value > 0:
        raise TdmmError(f"${env}: must be > 0, got {raw!r}")
    return value


def check_limit(name: str, value: float, what: str) -> None:
    """``TdmmError`` naming ``what``, the limit and how to raise it when ``value`` exceeds it."""
    top = limit(name)
    if not value <= top:   # also refuses NaN
        raise TdmmError(f"{what}: {value:g} is over the limit of {top:g} ({DEFAULTS[name][1]}); "
                        f"set TDMM_MAX_{name.upper()} to allow more")


def parameter_count(build: Callable[[], Any]) -> int | None:
    """Parameters + buffers of the ``torch.nn.Module`` that ``build()`` returns, counted by
    building it on the meta device (shapes only, no memory); None when it cannot be built
    there (the real build then reports the problem)."""
    import torch

    try:
        with torch.device("meta"):
            module = build()
    except Exception:   # a broken config fails again, with its own message, in the real build
        return None
    return sum(t.numel() for t in module.parameters()) + sum(t.numel() for t in module.buffers())


def check_size(build: Callable[[], Any], what: str, name: str = "network_parameters") -> None:
    """Refuse, before any memory is spent, a module ``build()`` would make with more parameters
    than the ``name`` limit (counted on the meta device): ``width: 10000000`` in a downloaded
    config is one line, not 17 GB."""
    count = parameter_count(build)
    if count is not None:
        check_limit(name, count, f"{what}: parameters")


def build_within_limit(build: Callable[[], T], what: str, name: str = "network_parameters") -> T:
    """``build()`` after ``check_size``."""
    check_size(build, what, name)
    return build()
