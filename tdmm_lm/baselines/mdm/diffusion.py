"""The Gaussian diffusion MDM trains and samples with: a cosine noise schedule (Nichol &
Dhariwal 2021), forward noising, and one update rule that covers both samplers:

- DDIM (Song et al. 2021) with ``eta = 0``: deterministic, good with few (e.g. 50) respaced steps;
- DDPM ancestral sampling with ``eta = 1``: on the full schedule this is exactly the DDPM
  posterior ``q(x_{t-1} | x_t, x0_hat)`` with variance beta-tilde (what MDM samples with).

The model predicts x0 (MDM's choice), so each step derives the noise from ``x0_hat``.
A few dozen lines, tested against the closed forms, instead of a dependency on diffusers.
"""

from __future__ import annotations

import math

import torch

MAX_BETA = 0.999  # clip as in improved-diffusion: the last cosine betas would reach 1


def cosine_alphas_cumprod(steps: int, s: float = 0.008) -> torch.Tensor:
    """``alpha_bar_t`` for t = 0 … steps-1 (float64, decreasing from ~1 to ~0)."""
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    betas = torch.tensor([min(1 - f(t + 1) / f(t), MAX_BETA) for t in range(steps)], dtype=torch.float64)
    return torch.cumprod(1 - betas, dim=0)


def add_noise(x0: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """``x_t = sqrt(a) x0 + sqrt(1-a) noise`` with ``alpha_bar [B]`` broadcast over ``[B, ...]``."""
    a = alpha_bar.to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def sampling_timesteps(total: int, steps: int) -> list[int]:
    """``steps`` timesteps of a ``total``-step schedule, evenly spaced, from ``total - 1`` down
    to 0 (``steps == total``: every step)."""
    if not 1 <= steps <= total:
        raise ValueError(f"steps must be in [1, {total}], got {steps}")
    ts = torch.linspace(0, total - 1, steps, dtype=torch.float64).round().long().tolist()
    return sorted(set(ts), reverse=True)


def ddim_step(x_t: torch.Tensor, x0_hat: torch.Tensor, alpha_bar: float, alpha_bar_prev: float,
              eta: float, noise: torch.Tensor | None) -> torch.Tensor:
    """One step from ``x_t`` to ``x_prev`` (``alpha_bar_prev = 1`` at the end: returns x0_hat).
    ``noise`` (same shape) is only read when ``eta > 0``."""
    eps = (x_t - math.sqrt(alpha_bar) * x0_hat) / math.sqrt(1 - alpha_bar)
    sigma = eta * math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev))
    x_prev = math.sqrt(alpha_bar_prev) * x0_hat + math.sqrt(max(1 - alpha_bar_prev - sigma ** 2, 0.0)) * eps
    if sigma > 0:
        x_prev = x_prev + sigma * noise
    return x_prev
