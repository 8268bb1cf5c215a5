"""Tiny models and motions shared by the tests (importable, unlike conftest fixtures)."""

from __future__ import annotations

import numpy as np
import torch

from tdmm_lm.motion import ARKIT61, Motion
from tdmm_lm.motion.ops import Normalizer


def tiny_config(**model):
    from tdmm_lm.vqvae import VQConfig
    base = {"width": 16, "depth": 2, "codebook_size": 32, "code_dim": 8}
    return VQConfig.from_dict({"model": {**base, **model}, "data": {"window": 32},
                               "train": {"batch_size": 4, "steps": 3}})


def make_tokenizer(seed: int = 0, fps: float = 30.0, **model):
    """An untrained tokenizer whose codebooks were initialised by one training forward."""
    from tdmm_lm.vqvae import MotionTokenizer
    torch.manual_seed(seed)
    norm = Normalizer(np.full(61, 0.1, np.float32), np.full(61, 0.2, np.float32),
                      ARKIT61.channels, "arkit61")
    tok = MotionTokenizer.build(tiny_config(**model), norm, fps)
    tok.train()
    tok(torch.randn(4, 32, 61))      # first training batch initialises the codebooks
    return tok.eval()


def random_motion(frames: int, fps: float = 30.0, seed: int = 0) -> Motion:
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / fps
    data = 0.3 + 0.3 * np.sin(2 * np.pi * (0.5 + rng.random(61)) * t + rng.random(61) * 6)
    return Motion(data.astype(np.float32), fps, "arkit61", ARKIT61.channels)
