"""FLAME through smplx: safe loading of a FLAME-format pickle, linearity, batching, gradients."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry import FaceGeometry, FlameGeometry
from tdmm_lm.geometry.flame import SYNTHETIC_NOTE, load_flame_arrays
from tdmm_lm.motion.formats import flame_channels
from tdmm_lm.safe_pickle import restricted_load


def test_synthetic_model_is_a_chumpy_pickle_read_by_the_restricted_loader(synthetic_flame_dir):
    path = synthetic_flame_dir / "flame" / "FLAME_NEUTRAL.pkl"
    with pytest.raises(ModuleNotFoundError, match="chumpy"):   # plain pickle needs chumpy...
        pickle.loads(path.read_bytes())
    raw = restricted_load(path)                                # ...the restricted loader does not
    assert raw["synthetic_note"] == SYNTHETIC_NOTE
    assert isinstance(raw["v_template"], np.ndarray) and raw["shapedirs"].shape == (400, 3, 400)
    arrays = load_flame_arrays(synthetic_flame_dir)
    assert arrays["J_regressor"].shape == (5, 400) and isinstance(arrays["J_regressor"], np.ndarray)
    assert arrays["posedirs"].shape == (400, 3, 36) and arrays["kintree_table"][0, 0] == -1


def test_expression_offsets_are_linear(synthetic_flame_dir):
    geo = FlameGeometry(synthetic_flame_dir)
    e1, e2 = torch.zeros(56), torch.zeros(56)
    e1[[0, 3, 7]] = torch.tensor([1.0, -0.5, 2.0])
    e2[[1, 3, 49]] = torch.tensor([0.7, 1.5, -1.0])
    a, b = 1.7, -0.8
    m = torch.stack([torch.zeros(56), e1, e2, a * e1 + b * e2])[None]    # zero pose throughout
    t, v1, v2, v12 = geo.vertices(m)[0]
    lhs, rhs = v12 - t, a * (v1 - t) + b * (v2 - t)
    assert (v1 - t).abs().max() > 1e-3                                    # it moved
    assert torch.allclose(lhs, rhs, atol=1e-6)


def test_batched_pose_shape_and_gradients(synthetic_flame_dir):
    channels = flame_channels(100, eyes=True)
    geo = FaceGeometry.for_format("flame", channels, flame_model=synthetic_flame_dir)
    g = torch.Generator().manual_seed(0)
    m = (torch.randn(3, 5, len(channels), generator=g) * 0.2).requires_grad_(True)
    v = geo.vertices(m)
    assert v.shape == (3, 5, 400, 3) and geo.units == "m" and geo.mm_per_unit == 1000
    one = geo.vertices(m[1:2, 2:3])                                       # batch independence
    assert torch.allclose(one[0, 0], v[1, 2], atol=1e-6)
    ids = geo.vertex_subset(50)
    assert torch.allclose(geo.vertices(m, vertex_ids=ids), v[:, :, ids], atol=1e-6)
    v.sum().backward()
    jaw = channels.index("jaw_0")
    assert m.grad[..., jaw].abs().sum() > 0 and m.grad[..., 0].abs().sum() > 0
    assert {"jaw", "eyes", "expression", "face"} <= set(geo.regions)
    assert not list(geo.state_dict())                     # geometry never bloats a parent's checkpoint


def test_flame_errors_are_user_errors(tmp_path, synthetic_flame_dir):
    with pytest.raises(TdmmError, match="FLAME_NEUTRAL.pkl"):
        FlameGeometry(tmp_path)
    with pytest.raises(TdmmError, match="flame-model"):
        FaceGeometry.for_format("flame")
    raw = restricted_load(synthetic_flame_dir / "flame" / "FLAME_NEUTRAL.pkl")
    raw["shapedirs"] = raw["shapedirs"][:, :, :20]         # smplx would silently use 10/10
    (tmp_path / "small.pkl").write_bytes(pickle.dumps(raw))
    with pytest.raises(TdmmError, match="shapedirs"):
        FlameGeometry(tmp_path / "small.pkl")
