"""The learning-rate schedule every trainer uses."""

from __future__ import annotations

import math


def lr_factor(step: int, tc, time_fraction: float = 0.0) -> float:
    """Linear warm-up over ``tc.warmup_steps``, then cosine decay to ``tc.min_lr_ratio`` at
    ``tc.steps`` or at the time limit, whichever comes first (``tc``: a ``TrainSection``;
    ``time_fraction``: the share of ``train.max_minutes`` used so far). Multiplies each
    parameter group's own lr.

    Why the time limit counts: a run stopped by ``max_minutes`` long before ``tc.steps`` would
    otherwise end at full learning rate, never annealed (budgeted training, Li et al. 2020)."""
    if step < tc.warmup_steps:
        return (step + 1) / tc.warmup_steps
    progress = max((step - tc.warmup_steps) / max(tc.steps - tc.warmup_steps, 1), time_fraction)
    return tc.min_lr_ratio + (1 - tc.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
