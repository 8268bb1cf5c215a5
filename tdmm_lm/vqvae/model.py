"""The VQ-VAE network: 1-D conv encoder → residual quantiser → 1-D conv decoder.

T2M-GPT's design: the encoder has ``log2(downsample)`` stride-2 stages, each followed by a
stack of dilated residual blocks (dilations 9, 3, 1); the decoder mirrors it with nearest
upsampling. ``downsample = 1`` keeps one un-strided stage so the network is as deep.

Padding is exact: every conv that reads neighbours sees zeros past a sequence's real end, so a
clip encoded inside a padded batch gets the same codes as on its own (``mask`` below).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tdmm_lm.vqvae.config import ModelConfig
from tdmm_lm.vqvae.quantizer import FSQuantizer, ResidualQuantizer


class ResBlock(nn.Module):
    """``x + conv1(relu(conv3_dilated(relu(x))))`` on ``[B, W, T]``; the k=1 conv reads no neighbours."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(width, width, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return (x + self.proj(F.relu(self.conv(F.relu(x) * mask)))) * mask


class ResStack(nn.Module):
    def __init__(self, width: int, depth: int, growth: int, reverse: bool = False):
        super().__init__()
        dilations = [growth ** i for i in range(depth)]
        # encoder: large dilations first (T2M-GPT), decoder: small first
        self.blocks = nn.ModuleList(ResBlock(width, d) for d in
                                    (dilations if reverse else dilations[::-1]))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x, mask)
        return x


def _stages(downsample: int) -> int:
    return max(int(math.log2(downsample)), 1)


class Encoder(nn.Module):
    """``x[B, D, T]`` (T a multiple of ``downsample``), mask ``[B, 1, T]`` → ``z[B, C, T/ds]``."""

    def __init__(self, channels: int, cfg: ModelConfig):
        super().__init__()
        w, self.stride = cfg.width, 2 if cfg.downsample > 1 else 1
        self.conv_in = nn.Conv1d(channels, w, 3, padding=1)
        self.down = nn.ModuleList(
            nn.Conv1d(w, w, 4, stride=2, padding=1) if self.stride == 2 else nn.Conv1d(w, w, 3, padding=1)
            for _ in range(_stages(cfg.downsample)))
        self.res = nn.ModuleList(ResStack(w, cfg.depth, cfg.dilation_growth)
                                 for _ in range(_stages(cfg.downsample)))
        self.conv_out = nn.Conv1d(w, cfg.code_dim, 3, padding=1)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        x = F.relu(self.conv_in(x * mask)) * mask
        for down, res in zip(self.down, self.res):
            x = down(x * mask)
            mask = mask[..., ::self.stride]   # real lengths are multiples of downsample
            x = res(x * mask, mask)
        return self.conv_out(x) * mask, mask


class Decoder(nn.Module):
    """``z[B, C, N]``, token mask ``[B, 1, N]`` → ``x[B, D, N·ds]``."""

    def __init__(self, channels: int, cfg: ModelConfig):
        super().__init__()
        w, self.scale = cfg.width, 2 if cfg.downsample > 1 else 1
        self.conv_in = nn.Conv1d(cfg.code_dim, w, 3, padding=1)
        self.res = nn.ModuleList(ResStack(w, cfg.depth, cfg.dilation_growth, reverse=True)
                                 for _ in range(_stages(cfg.downsample)))
        self.up = nn.ModuleList(nn.Conv1d(w, w, 3, padding=1) for _ in range(_stages(cfg.downsample)))
        self.conv_mid = nn.Conv1d(w, w, 3, padding=1)
        self.conv_out = nn.Conv1d(w, channels, 3, padding=1)

    def forward(self, z: Tensor, mask: Tensor) -> Tensor:
        x = F.relu(self.conv_in(z * mask)) * mask
        for res, up in zip(self.res, self.up):
            x = res(x, mask)
            if self.scale > 1:
                x = F.interpolate(x, scale_factor=self.scale, mode="nearest")
                mask = mask.repeat_interleave(self.scale, -1)
            x = up(x * mask) * mask
        x = F.relu(self.conv_mid(x)) * mask
        return self.conv_out(x) * mask


def build_quantizer(cfg: ModelConfig) -> ResidualQuantizer | FSQuantizer:
    """The quantiser ``cfg.quantizer`` names: EMA VQ (residual with ``levels`` > 1) or FSQ."""
    if cfg.quantizer == "fsq":
        return FSQuantizer(cfg.fsq_levels, cfg.code_dim)
    return ResidualQuantizer(cfg.levels, cfg.codebook_size, cfg.code_dim, decay=cfg.ema_decay,
                             dropout=cfg.quantizer_dropout,
                             dead_code_threshold=cfg.dead_code_threshold)


class VQVAE(nn.Module):
    """Normalised motion ``[B, T, D]`` ⇄ codes ``[B, T/ds, L]`` (L residual levels)."""

    def __init__(self, channels: int, cfg: ModelConfig):
        super().__init__()
        self.cfg, self.channels = cfg, channels
        self.encoder = Encoder(channels, cfg)
        self.decoder = Decoder(channels, cfg)
        self.quantizer = build_quantizer(cfg)

    @property
    def downsample(self) -> int:
        return self.cfg.downsample

    def _encode(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """→ encoder vectors ``[B, N, C]`` and token mask ``[B, N]`` (bool)."""
        b, t, _ = x.shape
        if t % self.downsample:
            raise ValueError(f"sequence length {t} is not a multiple of downsample {self.downsample}")
        m = (torch.ones(b, t, device=x.device) if mask is None else mask.to(x.dtype))[:, None]
        z, m = self.encoder(x.transpose(1, 2), m)
        return z.transpose(1, 2), m[:, 0] > 0

    def forward(self, x: Tensor, mask: Tensor | None = None) -> dict[str, Tensor]:
        """``x[B, T, D]``, ``mask[B, T]`` → ``recon[B, T, D]``, ``codes[B, N, L]``, ``commitment``."""
        z, tmask = self._encode(x, mask)
        zq_real, codes_real, commitment = self.quantizer(z[tmask])   # padded tokens learn nothing
        zq = torch.zeros_like(z).masked_scatter(tmask[..., None], zq_real)
        codes = torch.full((*z.shape[:2], self.quantizer.num_levels), -1, dtype=torch.long,
                           device=z.device).masked_scatter(tmask[..., None], codes_real)
        recon = self.decoder(zq.transpose(1, 2), tmask[:, None].to(zq.dtype)).transpose(1, 2)
        return {"recon": recon, "codes": codes, "commitment": commitment, "token_mask": tmask}

    @torch.no_grad()
    def encode(self, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x[B, T, D]`` → codes ``[B, N, L]`` int64 and token mask ``[B, N]``."""
        z, tmask = self._encode(x, mask)
        b, n, c = z.shape
        _, codes, _ = self.quantizer(z.reshape(b * n, c))
        return codes.view(b, n, -1), tmask

    @torch.no_grad()
    def decode(self, codes: Tensor, mask: Tensor | None = None) -> Tensor:
        """codes ``[B, N, L]`` (mask ``[B, N]``) → normalised motion ``[B, N·ds, D]``."""
        zq = self.quantizer.lookup(codes)
        m = (torch.ones(codes.shape[:2], device=codes.device) if mask is None
             else mask.to(zq.dtype))[:, None]
        return self.decoder(zq.transpose(1, 2), m).transpose(1, 2)
