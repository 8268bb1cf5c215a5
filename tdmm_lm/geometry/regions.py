"""Named vertex regions (lips, eyes, brows...) derived from how strongly each control moves a vertex.

Deriving them from the model instead of hand-picked index lists makes them work for any rig: a
vertex belongs to the region whose controls move it most, if that motion is a meaningful share
of the region's typical motion.
"""

from __future__ import annotations

import numpy as np

MIN_SHARE = 0.15   # a vertex moved less than 15% of a region's 99th-percentile motion is not in it


def regions_from_influence(influence: dict[str, np.ndarray], min_share: float = MIN_SHARE
                           ) -> dict[str, np.ndarray]:
    """``{region: influence[V]}`` → ``{region: sorted vertex ids}`` plus ``face`` (all vertices).

    Each vertex goes to its most-influencing region (ties to the first listed); regions are
    disjoint apart from ``face``. ``inf`` influence forces membership (e.g. eyeball vertices).
    """
    names = list(influence)
    stack = np.stack([np.asarray(influence[n], np.float64) for n in names])   # [R, V]
    scale = np.ones(len(names))
    for i, row in enumerate(stack):
        typical = row[np.isfinite(row) & (row > 0)]
        if len(typical):
            scale[i] = np.percentile(typical, 99)
    share = stack / np.maximum(scale, 1e-12)[:, None]
    best = share.argmax(0)
    member = share[best, np.arange(stack.shape[1])] >= min_share
    out = {n: np.nonzero(member & (best == i))[0] for i, n in enumerate(names)}
    out = {n: ids for n, ids in out.items() if len(ids)}
    out["face"] = np.arange(stack.shape[1])
    return out
