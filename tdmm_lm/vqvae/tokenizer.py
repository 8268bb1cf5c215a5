"""``MotionTokenizer``: a ``Motion`` ⇄ a flat list of integer tokens, in one self-contained folder.

    tok = MotionTokenizer.from_pretrained("runs/vq_tiny")    # a run, its best/ or a Hub repo id
    codes = tok.encode(motion)          # resampled to tok.fps, normalised, encoded
    motion = tok.decode(codes)          # Motion at tok.fps (``fps=`` to resample)
    tok.save_pretrained(DIR); tok.push_to_hub("user/tdmm-vq")

The folder holds ``config.json`` (``vq``: the VQ config; motion format, channels, fps) and
``model.safetensors`` (weights, codebooks and the Normalizer statistics fitted on the training
split), so a downloaded tokenizer needs no other file. No rig is needed to encode or decode.

Code layout (residual VQ with L levels of K codes; FSQ is L = 1, K = prod(fsq_levels)): token step t contributes L consecutive
entries, level 0 first, and level l's code c is written as ``l·K + c``. So the flat list is
``[t0/l0, t0/l1, …, t1/l0, t1/l1, …]``, every token is in ``[0, L·K)`` (``vocab_size``),
each level has its own id range (a language model can tell levels apart), and one token step
covers ``downsample`` frames. With L = 1 the list is simply the codes, one per step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from tdmm_lm.artifacts import MOTION_TOKENIZER, first_line, resolve_artifact
from tdmm_lm.errors import TdmmError
from tdmm_lm.limits import build_within_limit, check_limit
from tdmm_lm.motion.ops import Normalizer, pad_batch, prepare_motion, resample
from tdmm_lm.motion.types import Motion
from tdmm_lm.vqvae.config import VQConfig
from tdmm_lm.vqvae.model import VQVAE


class MotionTokenizer(nn.Module, PyTorchModelHubMixin, library_name="tdmm-lm",
                      tags=["facial-motion", "vq-vae", "motion-tokenizer"]):
    """The trained VQ-VAE plus everything needed to apply it (format, channels, fps, statistics)."""

    def __init__(self, vq: dict[str, Any], format: str, channels: list[str], fps: float):
        super().__init__()
        # the network and its loss define a tokenizer; data/train are how one run made it (and
        # their layout changed across versions), so they are kept but not needed to load it
        model_sections = {k: v for k, v in vq.items() if k in ("model", "loss")}
        self.vq_config = VQConfig.from_dict(model_sections, where="tokenizer config.json field 'vq'")
        self.format, self.channels, self.fps = format, tuple(channels), float(fps)
        d = len(self.channels)
        self.model = VQVAE(d, self.vq_config.model)
        # statistics are buffers so they travel in model.safetensors (float32, exact), not JSON
        self.register_buffer("norm_mean", torch.zeros(d))
        self.register_buffer("norm_std", torch.ones(d))

    @classmethod
    def build(cls, config: VQConfig, normalizer: Normalizer, fps: float) -> MotionTokenizer:
        """A fresh (untrained) tokenizer for ``normalizer``'s format and channels."""
        raw = config.to_dict()
        tok = cls(vq={"model": raw["model"], "loss": raw["loss"]}, format=normalizer.format,
                  channels=list(normalizer.channels), fps=float(fps))
        tok.norm_mean.copy_(torch.from_numpy(normalizer.mean))
        tok.norm_std.copy_(torch.from_numpy(normalizer.std))
        return tok

    @classmethod
    def from_pretrained(cls, path_or_repo_id: str | Path, **kwargs) -> MotionTokenizer:
        """A tokenizer folder, a ``tdmm-lm vq train`` run (its ``best/``) or a Hub repo id (see
        ``tdmm_lm.artifacts``); ``TdmmError`` with one line when it is none of these."""
        folder = resolve_artifact(path_or_repo_id, MOTION_TOKENIZER)
        try:
            return super().from_pretrained(str(folder), **kwargs)
        except TdmmError:
            raise
        except Exception as e:   # a damaged folder fails in many ways (JSON, safetensors, shapes)
            raise TdmmError(f"{path_or_repo_id}: cannot load a motion tokenizer "
                            f"({first_line(e)})") from None

    @classmethod
    def _from_pretrained(cls, *, model_id: str, map_location: str = "cpu", **model_kwargs):
        """The mixin's loader for a local folder (``from_pretrained`` resolved it), but strict
        (a missing codebook or statistic is an error, not a silent default) and quiet (the
        mixin prints to stdout, which ``vq encode`` owns)."""
        from huggingface_hub.constants import SAFETENSORS_SINGLE_FILE
        from safetensors.torch import load_file

        model_kwargs = {k: v for k, v in model_kwargs.items() if k in ("vq", "format", "channels", "fps")}
        model = build_within_limit(lambda: cls(**model_kwargs), f"{model_id}/config.json")
        weights = Path(model_id) / SAFETENSORS_SINGLE_FILE
        model.load_state_dict(load_file(str(weights), device=str(map_location)), strict=True)
        return model

    # ---- properties ---------------------------------------------------------------------------
    @property
    def normalizer(self) -> Normalizer:
        return Normalizer(self.norm_mean.cpu().numpy(), self.norm_std.cpu().numpy(),
                          self.channels, self.format)

    @property
    def downsample(self) -> int:
        return self.vq_config.model.downsample

    @property
    def levels(self) -> int:
        """Tokens per step (residual VQ levels; 1 for FSQ)."""
        return self.vq_config.model.num_levels

    @property
    def codebook_size(self) -> int:
        """Codes per level (FSQ: ``prod(fsq_levels)``); what the token models size their vocabulary by."""
        return self.vq_config.model.num_codes

    @property
    def vocab_size(self) -> int:
        """Distinct token ids: ``levels · codebook_size``."""
        return self.levels * self.codebook_size

    @property
    def tokens_per_second(self) -> float:
        return self.fps / self.downsample * self.levels

    @property
    def device(self) -> torch.device:
        return self.norm_mean.device

    # ---- motion <-> normalised tensors --------------------------------------------------------
    def prepare(self, motion: Motion) -> np.ndarray:
        """A motion as ``[T, D]`` raw parameters in this tokenizer's channel order and fps."""
        return prepare_motion(motion, self.format, self.channels, self.fps)

    def batch_tensor(self, arrays: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw ``[T_i, D]`` arrays → normalised ``[B, T, D]`` (T a multiple of downsample) + mask."""
        ds = self.downsample
        length = max(-(-len(a) // ds) * ds for a in arrays)
        data, mask = pad_batch(list(arrays), length, mode="edge")
        x = self.normalizer.normalize(torch.from_numpy(data).to(self.device))
        return x, torch.from_numpy(mask).to(self.device)

    # ---- codes layout ---------------------------------------------------------------------------
    def flatten_codes(self, codes: torch.Tensor) -> list[int]:
        """``codes[N, L]`` → the flat token list (see module docstring)."""
        offsets = torch.arange(self.levels, device=codes.device) * self.codebook_size
        return (codes + offsets).reshape(-1).tolist()

    def unflatten_codes(self, tokens: Sequence[int]) -> torch.Tensor:
        """The flat token list → ``codes[N, L]``; ``TdmmError`` for lists that cannot be codes."""
        tokens = list(tokens)
        check_limit("decode_codes", len(tokens), "number of tokens to decode")
        try:
            t = torch.as_tensor(tokens, dtype=torch.long)
        except (OverflowError, RuntimeError, TypeError, ValueError):
            raise TdmmError(f"tokens must be integers in [0, {self.vocab_size})") from None
        if t.ndim != 1 or len(t) == 0 or len(t) % self.levels:
            raise TdmmError(f"expected a non-empty list of tokens whose length is a multiple of "
                            f"{self.levels} (residual levels), got {len(t)}")
        codes = t.view(-1, self.levels)
        offsets = torch.arange(self.levels) * self.codebook_size
        local = codes - offsets
        if (local < 0).any() or (local >= self.codebook_size).any():
            bad = int(t[((local < 0) | (local >= self.codebook_size)).reshape(-1)][0])
            raise TdmmError(f"token {bad} is out of range: level l tokens must lie in "
                            f"[l·{self.codebook_size}, (l+1)·{self.codebook_size})")
        return local

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Training pass on normalised ``x[B, T, D]`` (see ``VQVAE.forward``)."""
        return self.model(x, mask)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised ``[..., D]`` → raw parameters (differentiable, on the buffers' device)."""
        return x * self.norm_std.to(x.dtype) + self.norm_mean.to(x.dtype)

    # ---- public API -------------------------------------------------------------------------------
    def encode(self, motion: Motion) -> list[int]:
        """A motion → ``ceil(T'/downsample) · levels`` tokens (T' = frames at ``self.fps``)."""
        return self.encode_batch([motion])[0]

    def decode(self, codes: Sequence[int], fps: float | None = None) -> Motion:
        """Tokens → a ``Motion`` of ``len(codes)/levels · downsample`` frames at ``self.fps``
        (resampled to ``fps`` when given)."""
        return self.decode_batch([codes], fps=fps)[0]

    @torch.no_grad()
    def encode_batch(self, motions: Sequence[Motion], batch_size: int = 64) -> list[list[int]]:
        """Several motions at once; identical to ``encode`` on each (padding is masked)."""
        self.eval()
        arrays = [self.prepare(m) for m in motions]
        if any(len(a) == 0 for a in arrays):
            raise TdmmError("cannot encode a motion with zero frames")
        out: list[list[int]] = []
        for i in range(0, len(arrays), batch_size):
            chunk = arrays[i:i + batch_size]
            x, mask = self.batch_tensor(chunk)
            codes, tmask = self.model.encode(x, mask)
            out += [self.flatten_codes(c[m]) for c, m in zip(codes, tmask)]
        return out

    @torch.no_grad()
    def decode_batch(self, codes: Sequence[Sequence[int]], fps: float | None = None,
                     batch_size: int = 64) -> list[Motion]:
        """Several token lists at once → motions (padding masked, so equal to one by one)."""
        self.eval()
        grids = [self.unflatten_codes(c) for c in codes]
        out: list[Motion] = []
        for i in range(0, len(grids), batch_size):
            chunk = grids[i:i + batch_size]
            n = max(len(g) for g in chunk)
            padded = torch.zeros(len(chunk), n, self.levels, dtype=torch.long)
            mask = torch.zeros(len(chunk), n, dtype=torch.bool)
            for j, g in enumerate(chunk):
                padded[j, :len(g)], mask[j, :len(g)] = g, True
            x = self.model.decode(padded.to(self.device), mask.to(self.device))
            data = self.denormalize(x).float().cpu().numpy()
            for j, g in enumerate(chunk):
                motion = Motion(data[j, :len(g) * self.downsample], self.fps, self.format,
                                self.channels)
                out.append(motion if fps is None or fps == self.fps else resample(motion, fps))
        return out

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised ``x[B, T, D]`` + mask → (raw-parameter reconstruction ``[B, T, D]``,
        codes ``[B, N, L]`` with -1 on padding). Used by evaluation."""
        self.eval()
        codes, tmask = self.model.encode(x, mask)
        recon = self.model.decode(codes.clamp(min=0), tmask)
        return self.denormalize(recon), codes.masked_fill(~tmask[..., None], -1)

