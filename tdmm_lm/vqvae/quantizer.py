"""Quantisers: an EMA codebook with dead-code reset, residual VQ over several of them, and FSQ.

``model.build_quantizer`` picks one from the config (``model.quantizer``: ``vq`` or ``fsq``).

The codebook is learned by exponential moving averages of the encoder vectors assigned to each
code (van den Oord et al. 2017, appendix; T2M-GPT), not by gradients: it is stable at small
batch sizes. A code whose EMA usage falls below ``dead_code_threshold`` is replaced by a random
encoder vector of the current batch, so the codebook stays in use (T2M-GPT's reset).
Under data parallelism the EMA statistics are summed over processes, so all replicas keep
the same codebook.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn


def _all_reduce(t: Tensor) -> Tensor:
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(t)
    return t


def _broadcast(t: Tensor) -> Tensor:
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.broadcast(t, 0)
    return t


class EMAQuantizer(nn.Module):
    """One codebook ``[K, C]``. Input ``z[N, C]`` → (quantised ``[N, C]``, codes ``[N]``).

    The straight-through estimator passes gradients from the quantised vectors to ``z``; the
    returned commitment loss pulls ``z`` towards its code.
    """

    def __init__(self, codebook_size: int, code_dim: int, *, decay: float = 0.99,
                 dead_code_threshold: float = 1.0, eps: float = 1e-5):
        super().__init__()
        self.codebook_size, self.code_dim = codebook_size, code_dim
        self.decay, self.dead_code_threshold, self.eps = decay, dead_code_threshold, eps
        self.register_buffer("codebook", torch.zeros(codebook_size, code_dim))
        self.register_buffer("ema_count", torch.zeros(codebook_size))
        self.register_buffer("ema_sum", torch.zeros(codebook_size, code_dim))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    def codes(self, z: Tensor) -> Tensor:
        """Nearest code per row of ``z[N, C]`` → ``[N]`` int64."""
        cb = self.codebook.to(z.dtype)
        dist2 = (z.pow(2).sum(1, keepdim=True) - 2 * z @ cb.t() + cb.pow(2).sum(1)[None])
        return dist2.argmin(1)

    def lookup(self, codes: Tensor) -> Tensor:
        """Code vectors for ``codes[...]`` → ``[..., C]``."""
        return F.embedding(codes, self.codebook)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``z[N, C]`` (real tokens only) → (``z_q[N, C]`` straight-through, codes, commitment)."""
        z32 = z.float()
        if self.training:
            self._maybe_init(z32.detach())
        codes = self.codes(z32.detach())
        zq = self.lookup(codes)
        if self.training:
            self._ema_update(z32.detach(), codes)
        commitment = F.mse_loss(z32, zq.detach())
        zq = z32 + (zq - z32).detach()
        return zq.to(z.dtype), codes, commitment

    # ---- codebook learning -------------------------------------------------------------------
    def _random_rows(self, z: Tensor, n: int) -> Tensor:
        """``n`` distinct rows of ``z`` (repeats + jitter when ``z`` is short), same on every process.

        Duplicate codes would tie in ``codes``' argmin, and float noise would then pick either.
        """
        if z.shape[0] >= n:
            rows = z[torch.randperm(z.shape[0], device=z.device)[:n]]
        else:
            idx = torch.randint(0, z.shape[0], (n,), device=z.device)
            rows = z[idx] + 1e-3 * z.std() * torch.randn(n, z.shape[1], device=z.device)
        return _broadcast(rows.contiguous())

    @torch.no_grad()
    def _maybe_init(self, z: Tensor) -> None:
        """First training batch: codes start at random encoder vectors (not at random noise)."""
        if bool(self.initialized):
            return
        self.codebook.copy_(self._random_rows(z, self.codebook_size))
        self.ema_sum.copy_(self.codebook)
        self.ema_count.fill_(1.0)
        self.initialized.fill_(True)

    @torch.no_grad()
    def _ema_update(self, z: Tensor, codes: Tensor) -> None:
        onehot = F.one_hot(codes, self.codebook_size).type(z.dtype)      # [N, K]
        count = _all_reduce(onehot.sum(0))                                # [K]
        total = _all_reduce(onehot.t() @ z)                               # [K, C]
        self.ema_count.mul_(self.decay).add_(count, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(total, alpha=1 - self.decay)
        n = self.ema_count.sum()
        # Laplace smoothing keeps a rarely used code from dividing by ~0
        smoothed = (self.ema_count + self.eps) / (n + self.codebook_size * self.eps) * n
        self.codebook.copy_(self.ema_sum / smoothed[:, None])
        dead = self.ema_count < self.dead_code_threshold
        if dead.any():
            fresh = self._random_rows(z, self.codebook_size)
            self.codebook[dead] = fresh[dead]
            self.ema_sum[dead] = fresh[dead]
            self.ema_count[dead] = 1.0    # a reset code gets a fair chance before the next reset


class ResidualQuantizer(nn.Module):
    """``levels`` quantisers; level l quantises what levels < l left over (residual VQ).

    ``forward(z[N, C], num_levels=None)`` → (``z_q`` = sum over the used levels, codes
    ``[N, L]``, summed commitment). Quantiser dropout (training only): with probability
    ``dropout`` a batch uses a random prefix of the levels, so coarse levels stand on their own.
    """

    def __init__(self, levels: int, codebook_size: int, code_dim: int, *, decay: float = 0.99,
                 dead_code_threshold: float = 1.0, dropout: float = 0.0):
        super().__init__()
        self.levels = nn.ModuleList(
            EMAQuantizer(codebook_size, code_dim, decay=decay, dead_code_threshold=dead_code_threshold)
            for _ in range(levels))
        self.dropout = dropout

    @property
    def num_levels(self) -> int:
        return len(self.levels)

    def forward(self, z: Tensor, num_levels: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        used = num_levels or self.num_levels
        if self.training and self.dropout > 0 and self.num_levels > 1 and torch.rand(()) < self.dropout:
            used = int(_broadcast(torch.randint(1, self.num_levels + 1, (), device=z.device)))
        residual, total = z, torch.zeros_like(z)
        codes, commitment = [], z.new_zeros(())
        for q in self.levels[:used]:
            zq, c, commit = q(residual)
            residual = residual - zq.detach()     # the next level sees what this one missed
            total = total + zq
            codes.append(c)
            commitment = commitment + commit
        # levels that dropout skipped get code -1: they are not used for statistics
        codes += [torch.full_like(codes[0], -1)] * (self.num_levels - used)
        # straight-through for the sum: gradient reaches z exactly once
        total = z + (total - z).detach()
        return total, torch.stack(codes, 1), commitment

    def lookup(self, codes: Tensor) -> Tensor:
        """``codes[..., L]`` → summed code vectors ``[..., C]`` (levels with code -1 skipped)."""
        out = 0
        for level, q in enumerate(self.levels):
            c = codes[..., level]
            out = out + q.lookup(c.clamp(min=0)) * (c >= 0).unsqueeze(-1).to(q.codebook.dtype)
        return out

    @property
    def codebook_size(self) -> int:
        return self.levels[0].codebook_size

    def code_vectors(self) -> Tensor:
        """Every code's vector in flat-token order ``[levels · K, C]`` (level 0's codes first)."""
        return torch.cat([q.codebook.detach() for q in self.levels])


def round_ste(x: Tensor) -> Tensor:
    """``round(x)`` forward, identity backward (straight-through)."""
    return x + (torch.round(x) - x).detach()


class FSQuantizer(nn.Module):
    """Finite scalar quantisation (Mentzer et al. 2023): ``z[N, C]`` → ``d = len(levels)`` numbers,
    each bounded by tanh to ``levels[i]`` integer values and rounded; the code is their
    mixed-radix index in ``[0, prod(levels))``. There is no codebook to learn, so no EMA, no
    commitment and no dead codes; the implicit code grid is projected back to ``C`` dimensions.

    Same interface as ``ResidualQuantizer`` with one level: ``forward`` → (``z_q[N, C]``,
    codes ``[N, 1]``, commitment 0), ``lookup(codes[..., 1])`` → ``[..., C]``.
    """

    num_levels = 1   # one token per step: the whole grid point is one code

    def __init__(self, levels: list[int], code_dim: int):
        super().__init__()
        lv = torch.tensor(levels, dtype=torch.long)
        self.register_buffer("_levels", lv, persistent=False)
        # mixed radix: digit i is worth prod(levels[:i])
        self.register_buffer("_basis", torch.cumprod(torch.cat([lv.new_ones(1), lv[:-1]]), 0),
                             persistent=False)
        self.codebook_size = int(lv.prod())
        self.proj_in = nn.Linear(code_dim, len(levels))
        self.proj_out = nn.Linear(len(levels), code_dim)

    def bound(self, z: Tensor) -> Tensor:
        """``z[..., d]`` → values in the open interval that rounds to exactly ``levels[i]`` integers
        (odd L: [-(L-1)/2, (L-1)/2]; even L: [-L/2, L/2 - 1], the paper's offset by one half)."""
        lv = self._levels.to(z.dtype)
        half = (lv - 1) * (1 + 1e-3) / 2          # 1e-3: tanh never quite reaches the edge rounding
        offset = torch.where(self._levels % 2 == 0, 0.5, 0.0).to(z.dtype)
        shift = torch.atanh(offset / half)
        return torch.tanh(z + shift) * half - offset

    def quantize(self, z: Tensor) -> Tensor:
        """``z[..., d]`` → grid points scaled to about [-1, 1] (straight-through rounding)."""
        return round_ste(self.bound(z)) / (self._levels // 2).to(z.dtype)

    def codes_to_indices(self, zhat: Tensor) -> Tensor:
        """Grid points ``[..., d]`` (from ``quantize``) → int64 indices ``[...]``."""
        half = (self._levels // 2).to(zhat.dtype)
        digits = torch.round(zhat * half + half).long()
        return (digits * self._basis).sum(-1)

    def indices_to_codes(self, indices: Tensor) -> Tensor:
        """int64 indices ``[...]`` → grid points ``[..., d]`` (inverse of ``codes_to_indices``)."""
        digits = (indices[..., None] // self._basis) % self._levels
        half = self._levels // 2
        return (digits - half).float() / half.float()

    def forward(self, z: Tensor, num_levels: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        zhat = self.quantize(self.proj_in(z.float()))
        codes = self.codes_to_indices(zhat.detach())
        return self.proj_out(zhat).to(z.dtype), codes[:, None], z.new_zeros(())

    def lookup(self, codes: Tensor) -> Tensor:
        """``codes[..., 1]`` → ``[..., C]``."""
        return self.proj_out(self.indices_to_codes(codes[..., 0]))

    def code_vectors(self) -> Tensor:
        """Every code's vector ``[K, C]`` in index order."""
        return self.lookup(torch.arange(self.codebook_size, device=self._levels.device)[:, None]).detach()
