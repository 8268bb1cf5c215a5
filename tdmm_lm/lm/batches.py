"""Training and validation batches: clips of a tokenized split → sampled examples → tensors.

Batches are a pure function of the runner's per-step RNG, so a resumed run draws what it would
have drawn, and every process of a data-parallel run draws different examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.lm.prompts import (DESCRIBE_QUESTIONS, IGNORE, Example, encode_example,
                                generate_prompt, make_example, motion_message)
from tdmm_lm.lm.vocab import MotionVocab


@dataclass
class Clip:
    """What the LM needs of one dataset row (no motion arrays: they stay on disk)."""

    texts: list[str]
    attributes: str
    codes: list[int]
    seconds: float     # duration of the motion the codes decode to
    reworded: list[str] = field(default_factory=list)   # extra L2M prompts (data.reworded)

    @property
    def prompts(self) -> list[str]:
        """What an L2M example may be asked with: the descriptions, then the reworded ones."""
        return self.texts + self.reworded


def load_clips(split, tokens_per_second: float, limit: int | None = None, reworded: int = 0
               ) -> list[Clip]:
    """The clips of a tokenized split (the first ``limit`` when given), each with ``reworded``
    extra L2M prompts in wider words when it has a FaceScript script (``lexicon.py``)."""
    from tdmm_lm.data.facescript.lexicon import reworded_rows
    if "codes" not in split.column_names:
        raise TdmmError("the dataset has no `codes` column: run `tdmm-lm vq tokenize-dataset` first")
    n = len(split) if limit is None else min(limit, len(split))
    cols = split.select_columns(["texts", "attributes", "codes"]).select(range(n))
    extra = reworded_rows(cols["attributes"], reworded) if reworded else [[] for _ in range(n)]
    return [Clip(list(r["texts"]), r["attributes"], [int(c) for c in r["codes"]],
                 len(r["codes"]) / tokens_per_second, more) for r, more in zip(cols, extra)]


def sample_examples(clips: Sequence[Clip], vocab: MotionVocab | None, tasks: dict[str, float],
                    n: int, rng: np.random.Generator, duration_prob: float, m2l_levels: int = 0,
                    canonical: bool = False) -> list[Example]:
    """``n`` examples: a task drawn by weight, a clip drawn uniformly, then a random example
    (``vocab`` None: the prefix model's ``condition`` task, which shows no motion span). M2L
    prompts show ``m2l_levels`` residual levels (0: all); an L2M answer always has all.
    ``canonical``: a description answer is always the clip's first text, not a paraphrase."""
    names = [t for t, w in tasks.items() if w > 0]
    weights = np.array([tasks[t] for t in names], dtype=float)
    picks = rng.choice(len(names), size=n, p=weights / weights.sum())
    out = []
    for k in picks:
        clip = clips[int(rng.integers(len(clips)))]
        levels = 0 if names[k] == "generate" else m2l_levels
        span = vocab.to_text(vocab.coarse(clip.codes, levels)) if vocab else ""
        row = {"texts": clip.texts[:1] if canonical else clip.texts, "prompts": clip.prompts,
               "attributes": clip.attributes}
        example = make_example(names[k], row, span, clip.seconds, rng, duration_prob)
        example.codes = clip.codes
        out.append(example)
    return out


def collate(tokenizer, examples: Sequence[Example], max_length: int) -> dict[str, torch.Tensor]:
    """``input_ids``, ``attention_mask`` and ``labels`` ``[B, L]``, right-padded."""
    encoded = [encode_example(tokenizer, e, max_length) for e in examples]
    length = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), length), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(encoded), length), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(encoded), length), dtype=torch.long)
    for i, (x, y) in enumerate(encoded):
        ids[i, :len(x)], labels[i, :len(y)], mask[i, :len(x)] = torch.tensor(x), torch.tensor(y), 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def corrupt_motion_targets(batch: dict[str, torch.Tensor], vocab: MotionVocab, pkeep: float,
                           generator: torch.Generator) -> torch.Tensor:
    """``input_ids`` where each motion code the loss learns (an L2M answer; codes in M2L prompts
    are left alone) is replaced with probability ``1 - pkeep`` by a random code of the same
    residual level. Labels are untouched, so the model learns to predict the true next code
    from an imperfect history (T2M-GPT's pkeep)."""
    ids, labels = batch["input_ids"], batch["labels"]
    if pkeep >= 1.0:
        return ids
    code_of = torch.full((int(max(ids.max(), max(vocab.code_ids))) + 1,), -1, dtype=torch.long)
    code_of[torch.tensor(vocab.code_ids)] = torch.arange(vocab.num_codes)
    codes = torch.where(labels >= 0, code_of[labels.clamp(min=0)], -1)
    swap = (codes >= 0) & (torch.rand(ids.shape, generator=generator) >= pkeep)
    k = vocab.codebook_size
    random = (codes // k) * k + torch.randint(0, k, ids.shape, generator=generator)
    new_ids = torch.tensor(vocab.code_ids)[random.clamp(min=0)]
    return torch.where(swap, new_ids, ids)


def code_batch(codes: Sequence[Sequence[int]], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Code lists → ``codes [B, T]`` (0-padded) + ``mask [B, T]``; lists longer than
    ``max_tokens`` are cut."""
    length = max(min(len(c), max_tokens) for c in codes)
    out = torch.zeros(len(codes), length, dtype=torch.long)
    mask = torch.zeros(len(codes), length, dtype=torch.bool)
    for i, c in enumerate(codes):
        c = list(c)[:max_tokens]
        out[i, :len(c)], mask[i, :len(c)] = torch.tensor(c, dtype=torch.long), True
    return out, mask


# ---- fixed validation / test examples ---------------------------------------------------------------
def describe_examples(clips: Sequence[Clip], vocab: MotionVocab, m2l_levels: int = 0
                      ) -> list[Example]:
    """One canonical M2L example per clip (first question, canonical description)."""
    return [Example("describe", [motion_message(vocab.to_text(vocab.coarse(c.codes, m2l_levels)),
                                                DESCRIBE_QUESTIONS[0])], c.texts[0]) for c in clips]


def generate_examples(clips: Sequence[Clip], vocab: MotionVocab) -> list[Example]:
    """One canonical L2M example per clip (canonical text, no duration)."""
    return [Example("generate", [{"role": "user", "content": generate_prompt(c.texts[0])}],
                    vocab.to_text(c.codes)) for c in clips]
