"""The learning-rate schedule every trainer uses."""

from __future__ import annotations

import math


def lr_factor(step: int, tc) -> float:
    """Linear warm-up over ``tc.warmup_steps``, then cosine decay to ``tc.min_lr_ratio`` at
    ``tc.steps`` (``tc``: a ``TrainSection``). Multiplies each parameter group's own lr."""
    if step < tc.warmup_steps:
        return (step + 1) / tc.warmup_steps
    progress = (step - tc.warmup_steps) / max(tc.steps - tc.warmup_steps, 1)
    return tc.min_lr_ratio + (1 - tc.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
