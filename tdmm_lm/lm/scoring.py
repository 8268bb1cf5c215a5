"""Teacher-forced scores of a TDMM-LM on fixed examples: M2L loss, L2M loss and L2M token
accuracy (the share of reference motion codes the model ranks first given the true prefix).
Used by training's validation and by ``eval/scripts/lm_eval.py`` on the test split.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from tdmm_lm.lm.batches import Clip, code_batch, collate, describe_examples, generate_examples
from tdmm_lm.lm.prompts import IGNORE, generate_prompt
from tdmm_lm.lm.vocab import MotionVocab


def _shifted(model, batch: dict[str, torch.Tensor], device) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token logits ``[B, L-1, V]`` and their targets ``[B, L-1]``."""
    batch = {k: v.to(device) for k, v in batch.items()}
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return logits[:, :-1].float(), batch["labels"][:, 1:]


@torch.no_grad()
def score(model, tokenizer, vocab: MotionVocab, clips: Sequence[Clip], *, max_length: int,
          prefix=None, features: Callable | None = None, batch_size: int = 16,
          l2m: bool = True, m2l_levels: int = 0) -> dict[str, float]:
    """``m2l_loss`` (nats per description token), ``l2m_loss`` (per motion code + end) and
    ``l2m_token_accuracy`` on one canonical example per clip; prefix mode scores the prefix
    model (``features``: texts → word features); ``l2m=False`` scores M2L only."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    sums = {"m2l": [0.0, 0], "l2m": [0.0, 0], "acc": [0.0, 0]}
    code_ids = torch.tensor(vocab.code_ids, device=device)
    for start in range(0, len(clips), batch_size):
        chunk = clips[start:start + batch_size]
        examples = describe_examples(chunk, vocab, m2l_levels)
        logits, targets = _shifted(model, collate(tokenizer, examples, max_length), device)
        real = targets != IGNORE
        sums["m2l"][0] += F.cross_entropy(logits[real], targets[real], reduction="sum").item()
        sums["m2l"][1] += int(real.sum())
        if not l2m or prefix is not None:
            continue
        logits, targets = _shifted(model, collate(tokenizer, generate_examples(chunk, vocab),
                                                  max_length), device)
        span = torch.isin(targets, code_ids) | (targets == vocab.end_id)
        is_code = torch.isin(targets, code_ids)
        sums["l2m"][0] += F.cross_entropy(logits[span], targets[span], reduction="sum").item()
        sums["l2m"][1] += int(span.sum())
        sums["acc"][0] += (logits.argmax(-1)[is_code] == targets[is_code]).sum().item()
        sums["acc"][1] += int(is_code.sum())
    model.train(was_training)
    out = {"m2l_loss": sums["m2l"][0] / max(sums["m2l"][1], 1)}
    if not l2m:
        return out
    if prefix is not None:
        return {**out, **score_prefix(prefix, features, clips, batch_size=batch_size)}
    return {**out, "l2m_loss": sums["l2m"][0] / max(sums["l2m"][1], 1),
            "l2m_token_accuracy": sums["acc"][0] / max(sums["acc"][1], 1)}


@torch.no_grad()
def score_prefix(prefix, features: Callable, clips: Sequence[Clip], *, batch_size: int = 16
                 ) -> dict[str, float]:
    """The prefix model's ``l2m_loss`` and ``l2m_token_accuracy`` (canonical text, no duration)."""
    was_training = prefix.training
    prefix.eval()
    loss_sum = acc_sum = count = 0.0
    for start in range(0, len(clips), batch_size):
        chunk = clips[start:start + batch_size]
        cond, cond_mask = features([generate_prompt(c.texts[0], None, None) for c in chunk])
        codes, mask = code_batch([c.codes for c in chunk], prefix.max_tokens)
        loss, acc = prefix.loss(cond, cond_mask, codes.to(cond.device), mask.to(cond.device))
        n = int(mask.sum()) + len(chunk)   # codes + one END per clip
        loss_sum, acc_sum, count = loss_sum + loss.item() * n, acc_sum + acc.item() * n, count + n
    prefix.train(was_training)
    return {"l2m_loss": loss_sum / max(count, 1), "l2m_token_accuracy": acc_sum / max(count, 1)}
