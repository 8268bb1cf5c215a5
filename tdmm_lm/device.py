"""Checking a ``--device`` before any model is loaded onto it."""

from __future__ import annotations

from tdmm_lm.errors import TdmmError


def check_device(name: str | None) -> str | None:
    """``name`` unchanged when torch can use that device here; one-line ``TdmmError`` naming
    the device and what this machine has otherwise (``cuda:7`` on a machine without it would
    fail deep inside the first ``.to()`` with a traceback). None (the default, CPU) passes."""
    if name is None:
        return None
    import torch
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise TdmmError(f"--device {name!r} is not a torch device (try cpu, cuda or "
                        "cuda:0)") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise TdmmError(f"--device {name}: no CUDA GPU is available on this machine; use "
                            "--device cpu")
        if device.index is not None and device.index >= count:
            raise TdmmError(f"--device {name}: this machine has {count} CUDA GPU(s) "
                            f"(cuda:0..cuda:{count - 1})")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise TdmmError(f"--device {name}: Apple MPS is not available on this machine")
    return name
