"""What the shared training loop needs from each baseline: a model, training and validation
examples, and a collate function that turns examples into a batch of tensors.

An ``Example`` is one clip: its array (MDM: normalised motion ``[T, D]``; T2M-GPT: codes
``[steps, levels]``) and all of its texts (one is drawn per step). ``collate(examples, rng)``
crops, pads and looks up text vectors; it is a pure function of ``rng``, so a resumed run draws
the batches it would have drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import datasets
import numpy as np
import torch
from torch import nn

from tdmm_lm.baselines.text import TextBank
from tdmm_lm.motion.ops import pad_batch, random_crop


@dataclass
class Example:
    data: np.ndarray
    texts: list[str]


Collate = Callable[[list[Example], np.random.Generator], dict[str, torch.Tensor]]


@dataclass
class TrainingSetup:
    model: nn.Module            # forward(batch, generator=None) -> (loss, logs)
    train: list[Example]
    validation: list[Example]
    collate: Collate


def split_texts(split: datasets.Dataset, reworded: int = 0) -> list[list[str]]:
    """Each row's texts (``texts``, or ``[text]`` where a row has no paraphrases), and
    ``reworded`` more per FaceScript row in wider words (``data/facescript/lexicon.py``; the
    training split's extra prompts, ``data.reworded``)."""
    from tdmm_lm.data.facescript.lexicon import reworded_rows
    rows = [list(ts) or [t] for t, ts in zip(split["text"], split["texts"])]
    if reworded and "attributes" in split.column_names:
        rows = [r + more for r, more in zip(rows, reworded_rows(split["attributes"], reworded))]
    return rows


def crop_and_pad(examples: list[Example], max_len: int, rng: np.random.Generator, bank: TextBank
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random windows of at most ``max_len`` rows, zero-padded to the batch's longest:
    ``data [B, L, ...]``, ``mask [B, L]`` (True on real rows), text vectors ``[B, dim]``."""
    crops = [random_crop(e.data, max_len, rng) for e in examples]
    data, mask = pad_batch(crops)
    cond = bank.pick([e.texts for e in examples], rng)
    return torch.from_numpy(data), torch.from_numpy(mask), cond
