"""MDM's whole sampling loop against an exact denoiser, and the input skip that lets a short
run keep the noisy input's detail (eval/results/mdm_sampling.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tdmm_lm.motion import ARKIT61


def _mdm(**cfg):
    from tdmm_lm.baselines.mdm.modeling import MDM
    torch.manual_seed(0)
    mdm = {"width": 32, "layers": 2, "heads": 4, "ff_size": 64, "max_frames": 40, "dropout": 0.0,
           **cfg}
    return MDM(mdm, "arkit61", list(ARKIT61.channels), 10.0, "minilm", 8, 20).eval()


def _gaussian_denoiser(model, mu: float, s: float):
    """The exact x0 = E[x0 | x_t] of normalised data x0 ~ N(mu, s^2) (independent entries)."""
    def denoise(x_t, t, cond, mask):
        a = model.alpha_bar[t].double().view(-1, 1, 1)
        gain = s ** 2 * a.sqrt() / (a * s ** 2 + 1 - a)
        return (mu + gain * (x_t.double() - a.sqrt() * mu)).to(x_t.dtype)
    return denoise


# DDIM's discretisation shrinks this Gaussian's spread by 3.1% at 50 steps, 0.16% at 1000
@pytest.mark.parametrize("steps,eta,tol", [(1000, 0.0, 0.01), (1000, 1.0, 0.01), (50, 0.0, 0.04)])
def test_sampling_with_the_exact_denoiser_draws_the_data_distribution(steps, eta, tol):
    """Gaussian data has a closed-form x0 estimate: sampling with it must reproduce the data's
    mean and spread in raw units (denormalised). A wrong timestep, a respacing that skips the
    schedule's alphas, a wrong variance or a missing denormalisation moves these numbers."""
    model = _mdm()
    mean = torch.linspace(-0.2, 0.4, 61)
    std = torch.linspace(0.02, 0.3, 61)
    model.norm_mean.copy_(mean)
    model.norm_std.copy_(std)
    mu, s = 0.3, 0.5  # in normalised units
    model.denoise = _gaussian_denoiser(model, mu, s)
    out = np.stack(model.sample(torch.zeros(400, 8), [6] * 400, steps=steps, eta=eta,
                                guidance_scale=1.0, generator=torch.Generator().manual_seed(0)))
    z = (out - mean.numpy()) / std.numpy()           # back to normalised units
    n = z.size
    assert abs(z.mean() - mu) < 4 * s / math.sqrt(n) + 0.01
    assert abs(z.std() / s - 1) < tol
    # frames are independent in this data: no smoothing or jitter added by the sampler
    d = np.diff(z, axis=1)
    assert abs(d.std() / (s * math.sqrt(2)) - 1) < tol


def test_guidance_with_equal_branches_changes_nothing():
    """x0_uncond + s (x0_cond - x0_uncond) is x0 when both branches agree: the guidance scale
    only acts through the text."""
    model = _mdm()
    model.denoise = _gaussian_denoiser(model, 0.1, 0.7)
    run = lambda g: np.stack(model.sample(torch.randn(8, 8), [10] * 8, steps=20, guidance_scale=g,  # noqa: E731
                                          generator=torch.Generator().manual_seed(1)))
    np.testing.assert_allclose(run(2.5), run(1.0), atol=1e-5)


def test_input_skip_returns_a_clean_input_from_an_untrained_network():
    """At t = 0 (noise std 0.006) the data is all there: with the input skip the x0 estimate is
    the input whatever the network's weights; the plain x0 head must first learn the identity
    (the fault that left 1600-step models ignoring their input and holding one pose)."""
    x = torch.randn(2, 12, 61, generator=torch.Generator().manual_seed(0))
    mask, cond, t = torch.ones(2, 12, dtype=torch.bool), torch.randn(2, 8), torch.zeros(2, dtype=torch.long)
    with torch.no_grad():
        skip = _mdm(input_skip=True).denoise(x, t, cond, mask)
        plain = _mdm(input_skip=False).denoise(x, t, cond, mask)
    rel = lambda y: float(((y - x) ** 2).mean() / (x ** 2).mean())  # noqa: E731
    assert rel(skip) < 1e-3
    assert rel(plain) > 0.5
    # at the last step (pure noise) the skip carries almost nothing: the network decides
    t_last = torch.full((2,), 999)
    with torch.no_grad():
        near_noise = _mdm(input_skip=True).denoise(x, t_last, cond, mask)
    assert rel(near_noise) > 0.5
