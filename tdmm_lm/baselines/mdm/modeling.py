"""MDM (Tevet et al. 2023), the diffusion transformer Express4D adapts to facial motion.

A transformer encoder reads ``[token0, frame_1 … frame_T]``: frames are noisy normalised motion
features (any format's channel count D) projected to ``width``; token0 is the diffusion
timestep embedding plus the projected text vector. Padded frames are masked as attention keys
(the original forgot, MDM issue #72), so they change no real frame's output. The network
predicts the clean motion x0 (with ``input_skip`` through a noise-level skip from the input,
``x0 = sqrt(a) x_t + sqrt(1-a) F``); the loss is MSE on x0 over real frames only. Training
drops the text with probability ``cond_dropout`` (a zero vector), which teaches the
unconditional model that classifier-free guidance needs. Positions use fixed sinusoids (as
MDM), so any length up to ``max_frames`` works.

Differences from the reference, and why: pre-LN blocks (stable at the higher learning rates
short CPU runs need); the frozen text encoder is all-MiniLM-L6-v2 by default instead of CLIP;
the optional input skip (minute-long runs of the plain x0 head learn only each prompt's mean
pose and ignore the noisy input even at t = 0: eval/results/mdm_sampling.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from tdmm_lm.baselines.mdm.configuration import MDMConfig
from tdmm_lm.baselines.mdm.diffusion import (add_noise, cosine_alphas_cumprod, ddim_step,
                                             sampling_timesteps)
from tdmm_lm.motion.ops import Normalizer


def sinusoidal(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoids ``[N, dim]`` for float positions ``[N]``."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / half)
    angles = positions.float()[:, None] * freqs[None]
    emb = torch.cat([angles.sin(), angles.cos()], dim=-1)
    return nn.functional.pad(emb, (0, dim - 2 * half))


class MDM(nn.Module, PyTorchModelHubMixin, library_name="tdmm-lm",
          tags=["facial-motion", "text-to-motion", "diffusion", "mdm"]):
    """The denoiser plus what applying it needs (normaliser, format, channels, fps, text encoder
    name). ``forward(batch)`` is the training loss; ``sample`` generates."""

    def __init__(self, mdm: dict, format: str, channels: list[str], fps: float, text_encoder: str,
                 cond_dim: int, default_frames: int) -> None:
        super().__init__()
        self.cfg = MDMConfig(**mdm)
        self.cfg.validate()
        self.format, self.channels, self.fps = format, tuple(channels), float(fps)
        self.text_encoder, self.cond_dim = text_encoder, int(cond_dim)
        self.default_frames = int(default_frames)  # length when the caller gives none: the training median
        c, d = self.cfg, len(self.channels)
        self.in_proj = nn.Linear(d, c.width)
        self.text_proj = nn.Linear(cond_dim, c.width)
        self.time_mlp = nn.Sequential(nn.Linear(c.width, c.width), nn.SiLU(), nn.Linear(c.width, c.width))
        layer = nn.TransformerEncoderLayer(c.width, c.heads, c.ff_size, c.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        # no nested-tensor fast path: it would drop padded rows and differ numerically from training
        self.encoder = nn.TransformerEncoder(layer, c.layers, norm=nn.LayerNorm(c.width),
                                             enable_nested_tensor=False)
        self.out_proj = nn.Linear(c.width, d)
        self.register_buffer("norm_mean", torch.zeros(d))
        self.register_buffer("norm_std", torch.ones(d))
        # the schedule is a pure function of the config: not stored in the weights file
        self.register_buffer("alpha_bar", cosine_alphas_cumprod(c.diffusion_steps).float(),
                             persistent=False)

    @property
    def normalizer(self) -> Normalizer:
        return Normalizer(self.norm_mean.cpu().numpy(), self.norm_std.cpu().numpy(),
                          self.channels, self.format)

    @property
    def device(self) -> torch.device:
        return self.norm_mean.device

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """``x_t [B, T, D]`` noisy motion, ``t [B]`` timesteps, ``cond [B, cond_dim]`` text
        vectors (zeros = unconditional), ``mask [B, T]`` real frames → x0 estimate ``[B, T, D]``
        (with ``input_skip``: ``sqrt(a_t) x_t`` plus the network's ``sqrt(1 - a_t)``-scaled output)."""
        w = self.cfg.width
        token0 = self.time_mlp(sinusoidal(t, w)) + self.text_proj(cond)
        h = torch.cat([token0[:, None], self.in_proj(x_t)], dim=1)
        h = h + sinusoidal(torch.arange(h.shape[1], device=h.device), w)
        keep = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1).bool()
        h = self.encoder(h, src_key_padding_mask=~keep)
        out = self.out_proj(h[:, 1:])
        if self.cfg.input_skip:
            a = self.alpha_bar[t].view(-1, 1, 1)
            out = a.sqrt() * x_t + (1 - a).sqrt() * out
        return out

    def forward(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss of a batch ``{"motion": [B, T, D] normalised, "mask": [B, T],
        "cond": [B, cond_dim]}``: random timestep and noise per sample (from ``generator`` when
        given, for a reproducible validation loss), text dropout in training mode."""
        x0, mask, cond = batch["motion"], batch["mask"].bool(), batch["cond"]
        b = x0.shape[0]
        g = _rand_kwargs(generator, x0.device)
        t = torch.randint(0, self.cfg.diffusion_steps, (b,), **g).to(x0.device)
        noise = torch.randn(x0.shape, **g).to(x0.device)
        if self.training and self.cfg.cond_dropout > 0:
            drop = torch.rand(b, **g).to(x0.device) < self.cfg.cond_dropout
            cond = cond.masked_fill(drop[:, None], 0.0)
        x0_hat = self.denoise(add_noise(x0, noise, self.alpha_bar[t]), t, cond, mask)
        m = mask[..., None].to(x0.dtype)
        loss = ((x0_hat - x0) ** 2 * m).sum() / (m.sum() * x0.shape[-1]).clamp(min=1.0)
        return loss, {"loss": float(loss.detach())}

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, lengths: list[int], *, steps: int | None = None,
               guidance_scale: float | None = None, eta: float | None = None,
               generator: torch.Generator | None = None) -> list[np.ndarray]:
        """Motions for text vectors ``cond [B, cond_dim]`` with ``lengths`` frames each
        (capped at ``max_frames``), in raw (denormalised) units, ``[T_b, D]`` float32 arrays.
        ``steps``/``guidance_scale``/``eta`` default to the config's sampling settings; noise
        comes from ``generator`` (a CPU generator gives the same samples on any device)."""
        c = self.cfg
        steps = c.sample_steps if steps is None else steps
        scale = c.guidance_scale if guidance_scale is None else guidance_scale
        eta = c.eta if eta is None else eta
        lengths = [max(1, min(int(n), c.max_frames)) for n in lengths]
        b, t_max, d = len(lengths), max(lengths), len(self.channels)
        mask = (torch.arange(t_max)[None] < torch.tensor(lengths)[:, None]).to(self.device)
        cond = cond.to(self.device, torch.float32)
        g = _rand_kwargs(generator, self.device)
        x = torch.randn(b, t_max, d, **g).to(self.device)
        ts = sampling_timesteps(c.diffusion_steps, steps)
        alpha_bar = self.alpha_bar.double().cpu().tolist()
        for i, t in enumerate(ts):
            x0 = self._guided_x0(x, t, cond, mask, scale)
            prev = alpha_bar[ts[i + 1]] if i + 1 < len(ts) else 1.0
            noise = torch.randn(x.shape, **g).to(self.device) if eta > 0 else None
            x = ddim_step(x, x0, alpha_bar[t], prev, eta, noise)
        raw = self.normalizer.denormalize(x.float().cpu().numpy())
        return [raw[i, :n].astype(np.float32) for i, n in enumerate(lengths)]

    def _guided_x0(self, x: torch.Tensor, t: int, cond: torch.Tensor, mask: torch.Tensor,
                   scale: float) -> torch.Tensor:
        """Classifier-free guidance on the x0 estimate; scale 1 skips the unconditional pass."""
        b = x.shape[0]
        if scale == 1.0:
            return self.denoise(x, torch.full((b,), t, device=x.device), cond, mask)
        both = self.denoise(torch.cat([x, x]), torch.full((2 * b,), t, device=x.device),
                            torch.cat([cond, torch.zeros_like(cond)]), torch.cat([mask, mask]))
        x0_cond, x0_uncond = both[:b], both[b:]
        return x0_uncond + scale * (x0_cond - x0_uncond)


def _rand_kwargs(generator: torch.Generator | None, device: torch.device) -> dict:
    """Draw from ``generator`` on its own device (callers move the result), else on ``device``."""
    return {"generator": generator, "device": generator.device if generator is not None else device}
