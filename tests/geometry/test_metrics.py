"""Vertex errors in millimetres per region and the relative error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tdmm_lm.geometry import ArkitGeometry, neutral_displacement, vertex_error
from tdmm_lm.geometry.procedural_rig import procedural_rig
from tdmm_lm.motion.formats import ARKIT61_CHANNELS


def test_known_offsets_in_millimetres():
    target = torch.zeros(2, 3, 4, 3)
    pred = target.clone()
    pred[..., 0] = 0.1                     # 0.1 cm everywhere
    pred[0, 1, 2, 0] = 0.5                 # one vertex 0.5 cm off in one frame
    regions = {"a": np.array([0, 1]), "b": np.array([2, 3])}
    out = vertex_error(pred, target, mm_per_unit=10, regions=regions)
    assert out["a"]["mean_mm"] == pytest.approx(1.0) and out["a"]["max_mm"] == pytest.approx(1.0)
    assert out["b"]["max_mm"] == pytest.approx(5.0)
    assert out["b"]["mean_mm"] == pytest.approx((5 + 11 * 1) / 12)
    assert out["b"]["frame_max_mm"] == pytest.approx((5 + 5 * 1) / 6)
    mask = torch.ones(2, 3, dtype=torch.bool)
    mask[0, 1] = False                     # padding frame is ignored
    assert vertex_error(pred, target, mm_per_unit=10, regions=regions,
                        frame_mask=mask)["b"]["max_mm"] == pytest.approx(1.0)


def test_relative_error_is_one_for_the_neutral_face():
    geo = ArkitGeometry(procedural_rig())
    m = torch.zeros(1, 6, len(ARKIT61_CHANNELS))
    m[0, :, ARKIT61_CHANNELS.index("jawOpen")] = torch.linspace(0, 1, 6)
    target = geo.vertices(m)
    neutral = geo.neutral_vertices()
    still = neutral.expand_as(target)
    out = geo.vertex_error(still, target, regions=["lips", "jaw", "face"])
    for stats in out.values():
        assert stats["relative"] == pytest.approx(1.0, rel=1e-5)
    disp = neutral_displacement(target, neutral, mm_per_unit=10)
    assert out["face"]["displacement_mm"] == pytest.approx(disp, rel=1e-6) and disp > 0.5
    half = geo.vertex_error((still + target) / 2, target)["face"]["relative"]
    assert half == pytest.approx(0.5, rel=1e-4)
    assert out["jaw"]["mean_mm"] > out["face"]["mean_mm"]      # the jaw moved more than average
