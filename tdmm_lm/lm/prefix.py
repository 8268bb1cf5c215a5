"""Prefix-mode L2M (the TDMM-LM paper's): a motion-code transformer conditioned on word-level
features of the prompt, from a frozen pretrained text encoder (default: the packaged
all-MiniLM-L6-v2) or from the LM's own hidden states, through a learned projection prefix.

    prefix = PrefixL2M.build(motion_tokenizer, cfg.l2m, cond_dim=384, max_seconds=10)
    feats, mask = text_features(texts)                 # [B, L, cond_dim], [B, L]
    loss, acc = prefix.loss(feats, mask, codes, codes_mask)
    codes = prefix.generate(feats, mask, lengths=[60, None], ...)

Saved as ``prefix/model.safetensors`` + ``prefix/config.json``; the text encoder is not saved
(it is frozen and named in the config: the packaged MiniLM, an encoder id, or ``lm``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import nn

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError
from tdmm_lm.nn.code_gpt import (CodeGPT, code_targets, exact_lengths, interleaved_levels,
                                 next_code_loss)
from tdmm_lm.text_encoder import ENCODE_BATCH, length_batches

FeatureFn = Callable[[Sequence[str]], "tuple[torch.Tensor, torch.Tensor]"]


class PrefixL2M(nn.Module):
    """``CodeGPT`` over the motion tokenizer's flat codes (``levels`` interleaved per step)."""

    def __init__(self, num_codes: int, levels: int, cond_dim: int, width: int, layers: int,
                 heads: int, max_tokens: int, dropout: float = 0.1, text_features: str = "minilm",
                 tie_embeddings: bool = False, sentence_slot: bool = False,
                 word_dropout: float = 0.0, cond_dropout: float = 0.0, guidance: float = 1.0):
        super().__init__()
        self.settings = dict(num_codes=num_codes, levels=levels, cond_dim=cond_dim, width=width,
                             layers=layers, heads=heads, max_tokens=max_tokens, dropout=dropout,
                             text_features=text_features, tie_embeddings=tie_embeddings,
                             sentence_slot=sentence_slot, word_dropout=word_dropout,
                             cond_dropout=cond_dropout, guidance=guidance)
        self.levels, self.text_features = levels, text_features
        self.sentence_slot, self.word_dropout = sentence_slot, word_dropout
        self.cond_dropout, self.guidance = cond_dropout, guidance
        self.gpt = CodeGPT(num_codes, cond_dim, width, layers, heads, max_tokens, dropout,
                           tie_embeddings)

    @classmethod
    def build(cls, motion_tokenizer, l2m, cond_dim: int, max_seconds: float) -> PrefixL2M:
        levels = motion_tokenizer.levels
        max_tokens = math.ceil(max_seconds * motion_tokenizer.tokens_per_second / levels) * levels
        return cls(motion_tokenizer.vocab_size, levels, cond_dim, l2m.width, l2m.layers, l2m.heads,
                   max_tokens, l2m.dropout, l2m.text_features, l2m.tie_embeddings,
                   l2m.sentence_slot, l2m.word_dropout, l2m.cond_dropout, l2m.guidance)

    @property
    def max_tokens(self) -> int:
        return self.gpt.max_tokens

    def condition(self, cond: torch.Tensor, cond_mask: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        """The prefix the transformer reads: the word features, after a sentence slot when
        ``sentence_slot`` (their masked mean, unit length, scaled to the words' mean norm: for
        MiniLM exactly its sentence embedding, which places paraphrases close together, so a
        prompt worded unlike the training texts still lands near their meaning). In training,
        ``word_dropout`` hides all word slots of a sample, so the model also learns to follow
        the sentence slot alone, and ``cond_dropout`` hides the whole prompt (sentence slot
        too), which classifier-free guidance at sampling (``guidance``) needs."""
        if self.training and self.cond_dropout > 0:
            keep = torch.rand(len(cond), 1, device=cond.device) >= self.cond_dropout
            cond_mask = cond_mask.bool() & keep
        else:
            keep = None
        if not self.sentence_slot:
            return cond, cond_mask
        m = cond_mask.unsqueeze(-1).to(cond.dtype)
        mean = (cond * m).sum(1) / m.sum(1).clamp(min=1.0)
        norm = (cond.norm(dim=-1) * cond_mask).sum(1, keepdim=True) / m.sum(1).clamp(min=1.0)
        sentence = torch.nn.functional.normalize(mean, dim=-1) * norm
        words = cond_mask.bool()
        if self.training and self.word_dropout > 0:
            hide = torch.rand(len(cond), 1, device=cond.device) < self.word_dropout
            words = words & ~hide
        ones = torch.ones(len(cond), 1, dtype=torch.bool, device=cond.device)
        if keep is not None:
            ones = ones & keep
        return torch.cat([sentence[:, None], cond], 1), torch.cat([ones, words], 1)

    def loss(self, cond: torch.Tensor, cond_mask: torch.Tensor, codes: torch.Tensor,
             codes_mask: torch.Tensor, inputs: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced (next-code cross-entropy, code accuracy) for ``codes [B, T]``;
        ``inputs`` (same shape) are the codes the model reads when they differ from the
        targets (pkeep corruption)."""
        cond, cond_mask = self.condition(cond, cond_mask)
        logits = self.gpt(cond, cond_mask, codes if inputs is None else inputs, codes_mask)
        targets = code_targets(codes, codes_mask, self.gpt.end)
        loss = next_code_loss(logits, codes, codes_mask)
        real = torch.zeros_like(targets, dtype=torch.bool)
        real[:, :codes.shape[1]] = codes_mask
        acc = (logits.argmax(-1)[real] == targets[real]).float().mean()
        return loss, acc

    def generate(self, cond: torch.Tensor, cond_mask: torch.Tensor, lengths: Sequence[int | None],
                 *, temperature: float = 1.0, top_k: int = 0, seed: int = 0) -> list[list[int]]:
        """Code lists, one per row; a row with a length gets exactly that many codes (END is
        forbidden before and forced at it), others stop at END or ``max_tokens``."""
        cond, cond_mask = self.condition(cond, cond_mask)
        need = [None if n is None else min(n, self.max_tokens) for n in lengths]
        allowed = exact_lengths(interleaved_levels(self.levels, self.gpt.num_codes // self.levels),
                                need)
        gen = torch.Generator(device=cond.device).manual_seed(seed)
        longest = max(self.max_tokens if n is None else int(n) for n in need)
        return self.gpt.generate(cond, cond_mask, max_tokens=longest, top_k=top_k or None,
                                 temperature=temperature or 1.0, greedy=temperature == 0,
                                 generator=gen, allowed=allowed, guidance=self.guidance)

    # ---- folder -----------------------------------------------------------------------------------
    def save(self, folder: str | Path, state_dict: dict | None = None) -> None:
        from safetensors.torch import save_file
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = state_dict if state_dict is not None else self.state_dict()
        save_file({k: v.detach().contiguous().cpu() for k, v in state.items()},
                  str(folder / "model.safetensors"))
        atomic_write_text(folder / "config.json", json.dumps(self.settings, indent=1) + "\n")

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> PrefixL2M:
        from safetensors.torch import load_file
        folder = Path(folder)
        try:
            settings = json.loads((folder / "config.json").read_text())
            model = cls(**settings)
            model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
        except (OSError, ValueError, TypeError, RuntimeError) as e:
            raise TdmmError(f"{folder}: not a prefix L2M model folder ({str(e).splitlines()[0]})") from None
        return model.to(device).eval()


def minilm_features(name: str, device) -> tuple[FeatureFn, int]:
    """A frozen text encoder's word features (``"minilm"``: the packaged one) and their width."""
    from tdmm_lm.text_encoder import TextEncoder
    encoder = TextEncoder.load(name, device)
    return encoder.encode_words, encoder.dim


class CachedFeatures:
    """A frozen encoder's word features, remembered per text (float16, padding dropped).

    Training draws the same paraphrases over and over, and the encoder's forward pass was a
    fifth of a prefix-mode step on a CPU. Up to ``max_texts`` texts are kept (about 15 KB
    each for MiniLM, on the CPU); texts past that are encoded every time. Features come back
    on ``device`` (the encoder's), cached or not. Only for frozen encoders: the
    LM's own states (``text_features: lm``) change as it trains."""

    def __init__(self, encode: FeatureFn, max_texts: int = 100_000,
                 device: str | torch.device = "cpu") -> None:
        self.encode, self.max_texts, self.device = encode, max_texts, device
        self.cache: dict[str, torch.Tensor] = {}

    def prefill(self, texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> None:
        """Encode every text not yet known, in length-sorted batches (far faster than the
        training batches' handfuls), up to ``max_texts`` (the shortest first)."""
        todo = sorted((t for t in dict.fromkeys(texts) if t not in self.cache), key=len)
        todo = todo[:max(0, self.max_texts - len(self.cache))]
        for idx in length_batches(todo, batch_size):
            self([todo[j] for j in idx])

    def sentence_vectors(self, texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> torch.Tensor:
        """``[N, dim]`` unit-length means of each text's word features (CPU, float32): a
        mean-pooling encoder's sentence vectors (all-MiniLM-L6-v2's ``encode_sentences``) to
        float16 precision, without a second pass over texts already encoded."""
        from tdmm_lm.text_encoder import mean_pool
        self.prefill(texts, batch_size)
        texts = list(texts)
        return torch.cat([mean_pool(*self(texts[i:i + batch_size])).cpu()
                          for i in range(0, len(texts), batch_size)])

    def save(self, path: str | Path) -> None:
        """The remembered features as one safetensors file (rows joined; texts and row
        lengths in its metadata), written atomically."""
        from safetensors.torch import save_file

        from tdmm_lm.atomic import atomic_file
        texts = list(self.cache)
        rows = [self.cache[t] for t in texts]
        joined = torch.cat(rows) if rows else torch.zeros(0, 0, dtype=torch.float16)
        meta = {"texts": json.dumps(texts), "lengths": json.dumps([len(r) for r in rows])}
        with atomic_file(path) as tmp:
            save_file({"features": joined.contiguous()}, str(tmp), metadata=meta)

    def load(self, path: str | Path) -> None:
        """Remember the features a ``save`` wrote (they must come from the same encoder)."""
        from safetensors import SafetensorError, safe_open
        try:
            with safe_open(str(path), framework="pt") as f:
                meta, joined = f.metadata() or {}, f.get_tensor("features")
            texts, lengths = json.loads(meta["texts"]), json.loads(meta["lengths"])
        except (OSError, KeyError, ValueError, SafetensorError) as e:
            raise TdmmError(f"{path}: not a word-feature file ({str(e).splitlines()[0]})") from None
        for text, row in zip(texts, joined.split(lengths)):
            if len(self.cache) < self.max_texts:
                self.cache[text] = row

    def __call__(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        found = {t: self.cache[t] for t in texts if t in self.cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            feats, mask = self.encode(missing)
            for text, f, m in zip(missing, feats, mask):
                found[text] = f[m.bool()].to("cpu", torch.float16)
                if len(self.cache) < self.max_texts:
                    self.cache[text] = found[text]
        rows = [found[t] for t in texts]
        out = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True).float()
        mask = torch.zeros(out.shape[:2], dtype=torch.bool)
        for i, r in enumerate(rows):
            mask[i, :len(r)] = True
        return out.to(self.device), mask.to(self.device)   # where the encoder's would be


def lm_features(model, tokenizer) -> FeatureFn:
    """The LM's last hidden states over the prompt's tokens, frozen (no gradient into the LM)."""
    @torch.no_grad()
    def encode(texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        from tdmm_lm.lm.prompts import plain_ids   # prompts are user text: no added tokens
        batch = tokenizer.pad({"input_ids": [plain_ids(tokenizer, t) for t in texts]},
                              return_tensors="pt")
        device = next(model.parameters()).device
        out = model(input_ids=batch["input_ids"].to(device),
                    attention_mask=batch["attention_mask"].to(device), output_hidden_states=True)
        return out.hidden_states[-1].float(), batch["attention_mask"].bool().to(device)
    return encode


def lm_hidden_size(model) -> int:
    return int(model.get_input_embeddings().weight.shape[1])
