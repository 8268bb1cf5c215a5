"""The diffusion schedule and the DDIM/DDPM update against their closed forms."""

from __future__ import annotations

import math

import torch

from tdmm_lm.baselines.mdm.diffusion import (add_noise, cosine_alphas_cumprod, ddim_step,
                                             sampling_timesteps)


def test_cosine_schedule_matches_its_formula():
    ab = cosine_alphas_cumprod(1000)
    assert ab.shape == (1000,) and (ab[1:] < ab[:-1]).all()
    f = lambda t: math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 10, 500, 900):  # unclipped region: alpha_bar_t = f(t+1) / f(0)
        assert abs(ab[t].item() - f(t + 1) / f(0)) < 1e-9
    assert ab[-1] < 1e-6  # the last step is (almost) pure noise


def test_add_noise_and_timesteps():
    x0, noise = torch.randn(3, 5, 2), torch.randn(3, 5, 2)
    a = torch.tensor([1.0, 0.25, 0.0])
    xt = add_noise(x0, noise, a)
    torch.testing.assert_close(xt[0], x0[0])
    torch.testing.assert_close(xt[1], 0.5 * x0[1] + math.sqrt(0.75) * noise[1])
    torch.testing.assert_close(xt[2], noise[2])
    ts = sampling_timesteps(1000, 50)
    assert len(ts) == 50 and ts[0] == 999 and ts[-1] == 0 and ts == sorted(ts, reverse=True)
    assert sampling_timesteps(1000, 1000) == list(range(999, -1, -1))


def test_ddim_with_the_true_x0_lands_on_it():
    ab = cosine_alphas_cumprod(1000).tolist()
    x0 = torch.randn(4, 3)
    x = add_noise(x0, torch.randn(4, 3), torch.tensor([ab[999]] * 4))
    ts = sampling_timesteps(1000, 10)
    for i, t in enumerate(ts):
        x = ddim_step(x, x0, ab[t], ab[ts[i + 1]] if i + 1 < len(ts) else 1.0, 0.0, None)
    torch.testing.assert_close(x, x0)


def test_eta_one_on_the_full_schedule_is_the_ddpm_posterior():
    """Mean and variance of x_{t-1} given x_t and x0 equal q(x_{t-1} | x_t, x0)."""
    ab = cosine_alphas_cumprod(1000).tolist()
    t = 400
    a_t, a_prev = ab[t], ab[t - 1]
    beta = 1 - a_t / a_prev
    x0, xt = torch.randn(1, 1).expand(20000, 1), torch.randn(1, 1).expand(20000, 1)
    g = torch.Generator().manual_seed(0)
    out = ddim_step(xt, x0, a_t, a_prev, 1.0, torch.randn(20000, 1, generator=g))
    mean = (math.sqrt(a_prev) * beta / (1 - a_t)) * x0[0] + (
        math.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t)) * xt[0]
    var = (1 - a_prev) / (1 - a_t) * beta
    assert abs(out.mean().item() - mean.item()) < 4 * math.sqrt(var / 20000)
    assert abs(out.var().item() / var - 1) < 0.05
