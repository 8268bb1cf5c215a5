"""MDM: padded frames are masked everywhere, the loss counts real frames only, guidance and
sampling behave, seeded sampling is reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tdmm_lm.motion import ARKIT61


def _mdm(seed: int = 0, **cfg):
    from tdmm_lm.baselines.mdm.modeling import MDM
    torch.manual_seed(seed)
    mdm = {"width": 32, "layers": 2, "heads": 4, "ff_size": 64, "max_frames": 40, "dropout": 0.0,
           **cfg}
    return MDM(mdm, "arkit61", list(ARKIT61.channels), 15.0, "minilm", 8, 20).eval()


def _batch(b: int = 2, t: int = 12, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(b, t, dtype=torch.bool)
    mask[0, 7:] = False
    return torch.randn(b, t, 61, generator=g), mask, torch.randn(b, 8, generator=g)


def test_changing_padded_frames_changes_nothing():
    model = _mdm()
    x, mask, cond = _batch()
    t = torch.tensor([500, 20])
    out = model.denoise(x, t, cond, mask)
    x2 = x.clone()
    x2[0, 7:] = 100 * torch.randn(5, 61)
    out2 = model.denoise(x2, t, cond, mask)
    torch.testing.assert_close(out2[0, :7], out[0, :7])
    torch.testing.assert_close(out2[1], out[1])
    # unmasked, the same change does reach the real frames: the mask is what protects them
    out3 = model.denoise(x2, t, cond, torch.ones_like(mask))
    assert (out3[0, :7] - out[0, :7]).abs().max() > 1e-3


def test_loss_counts_real_frames_only():
    model = _mdm()
    x, mask, cond = _batch()
    loss = model({"motion": x, "mask": mask, "cond": cond}, generator=torch.Generator().manual_seed(3))[0]
    x2 = x.clone()
    x2[0, 7:] = 50.0
    loss2 = model({"motion": x2, "mask": mask, "cond": cond}, generator=torch.Generator().manual_seed(3))[0]
    assert loss.item() == pytest.approx(loss2.item(), rel=1e-6)
    x2[0, 0] = 50.0  # a real frame does count
    loss3 = model({"motion": x2, "mask": mask, "cond": cond}, generator=torch.Generator().manual_seed(3))[0]
    assert loss3.item() > loss.item() * 1.5


def test_condition_dropout_only_in_training():
    model = _mdm(cond_dropout=0.999)
    x, mask, cond = _batch()
    batch = {"motion": x, "mask": mask, "cond": cond}
    gen = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    eval_loss = model(batch, generator=gen())[0]
    uncond = model({**batch, "cond": torch.zeros_like(cond)}, generator=gen())[0]
    model.train()
    model.cfg.dropout = 0.0
    for m in model.modules():  # keep only the condition dropout stochastic
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    train_loss = model(batch, generator=gen())[0]
    assert eval_loss.item() != pytest.approx(uncond.item())
    assert train_loss.item() == pytest.approx(uncond.item(), rel=1e-5)


def test_sampling_lengths_guidance_and_seed():
    model = _mdm()
    cond = torch.randn(3, 8)
    run = lambda seed, **kw: model.sample(cond, [5, 12, 99], steps=4,  # noqa: E731
                                          generator=torch.Generator().manual_seed(seed), **kw)
    a, b, c = run(0), run(0), run(1)
    assert [len(x) for x in a] == [5, 12, 40]  # capped at max_frames
    assert all(x.shape[1] == 61 and x.dtype == np.float32 for x in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.allclose(a[0], c[0])
    # guidance 1 is the conditional model alone; guidance 0 the unconditional one
    cond_only = run(0, guidance_scale=1.0)
    uncond = model.sample(torch.zeros_like(cond), [5, 12, 99], steps=4, guidance_scale=1.0,
                          generator=torch.Generator().manual_seed(0))
    zero = run(0, guidance_scale=0.0)
    assert np.allclose(zero[1], uncond[1], atol=1e-4)
    assert not np.allclose(cond_only[1], uncond[1], atol=1e-4)
