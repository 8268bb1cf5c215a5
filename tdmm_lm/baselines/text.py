"""Sentence embeddings of a dataset's prompts, computed once (and cached) and kept on the CPU.

The baselines condition on one frozen sentence vector per prompt (MDM: CLIP's, T2M-GPT: CLIP's;
here ``tdmm_lm.text_encoder.TextEncoder``, all-MiniLM-L6-v2 by default). The encoder is frozen,
so each distinct text is encoded once, not once per training step.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

from tdmm_lm.text_encoder import ENCODE_BATCH, length_batches


def default_cache_dir() -> Path:
    """``$TDMM_LM_CACHE/text_embeddings`` (default ``~/.cache/tdmm-lm``)."""
    root = os.environ.get("TDMM_LM_CACHE") or Path.home() / ".cache" / "tdmm-lm"
    return Path(root) / "text_embeddings"


def encode_texts(encoder, texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> torch.Tensor:
    """Unit sentence vectors ``[N, dim]`` float32 on the CPU."""
    out = torch.zeros(len(texts), encoder.dim)
    for idx in length_batches(texts, batch_size):
        out[idx] = encoder.encode_sentences([texts[j] for j in idx]).float().cpu()
    return out


class TextBank:
    """Every distinct text of the given rows → its sentence vector (``[N, dim]`` float32, CPU).

    ``cache_dir`` keeps the vectors between runs (MDM and T2M-GPT on one corpus share them):
    the file is named by a hash of the encoder name and the texts, so it is reused only for
    exactly the same texts from the same encoder."""

    def __init__(self, texts: list[str], vectors: torch.Tensor) -> None:
        self.texts = texts
        self.vectors = vectors
        self.index = {t: i for i, t in enumerate(texts)}

    @classmethod
    def build(cls, encoder_name: str, texts: Iterable[str], *, device: str | None = None,
              cache_dir: str | Path | None = None,
              encode: Callable[[list[str]], torch.Tensor] | None = None) -> TextBank:
        """``encode`` (texts → ``[N, dim]`` vectors of ``encoder_name``'s sentences) replaces
        loading the encoder, for a caller that already holds the texts' features."""
        from safetensors.torch import load_file, save_file

        from tdmm_lm.text_encoder import TextEncoder
        unique = sorted(set(texts))
        key = hashlib.sha256("\n".join([encoder_name, *unique]).encode()).hexdigest()[:20]
        cache = Path(cache_dir) / f"{key}.safetensors" if cache_dir is not None else None
        if cache is not None and cache.is_file():
            return cls(unique, load_file(str(cache))["vectors"])
        vectors = (encode(unique) if encode is not None
                   else encode_texts(TextEncoder.load(encoder_name, device), unique))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # atomic: parallel runs never read half a file
            save_file({"vectors": vectors.contiguous()}, str(tmp))
            tmp.replace(cache)
        return cls(unique, vectors)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def lookup(self, texts: Sequence[str]) -> torch.Tensor:
        """``[B, dim]`` vectors of ``texts`` (all must be in the bank)."""
        return self.vectors[[self.index[t] for t in texts]]

    def pick(self, choices: Sequence[Sequence[str]], rng: np.random.Generator) -> torch.Tensor:
        """One random paraphrase per sample (``choices[b]`` are sample b's texts) → ``[B, dim]``.
        Drawing a paraphrase per step is the text augmentation HumanML3D models use."""
        return self.lookup([c[int(rng.integers(len(c)))] for c in choices])
