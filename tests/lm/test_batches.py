"""Batches: collation and pkeep corruption of L2M answers."""

import torch

from tdmm_lm.lm.batches import collate, corrupt_motion_targets
from tdmm_lm.lm.model import train_bpe_tokenizer
from tdmm_lm.lm.prompts import IGNORE, Example, generate_prompt, motion_message, template_texts
from tdmm_lm.lm.vocab import add_motion_tokens


def test_pkeep_corrupts_only_l2m_answers_within_their_level():
    tok = train_bpe_tokenizer(template_texts() * 2, 400)
    vocab = add_motion_tokens(tok, 64, levels=2)        # 2 levels x 32 codes
    codes = [c for step in range(200) for c in (step % 32, 32 + (step * 7) % 32)]
    examples = [Example("describe", [motion_message(vocab.to_text(codes), "Describe it.")], "A smile."),
                Example("generate", [{"role": "user", "content": generate_prompt("A smile.")}],
                        vocab.to_text(codes))]
    batch = collate(tok, examples, max_length=1024)
    out = corrupt_motion_targets(batch, vocab, 0.5, torch.Generator().manual_seed(0))
    code_of = vocab.code_of()
    assert torch.equal(out[0], batch["input_ids"][0])                 # M2L prompt codes kept
    learned = batch["labels"][1] != IGNORE
    changed = out[1] != batch["input_ids"][1]
    assert not changed[~learned].any()                                # prompt and padding kept
    is_code = torch.tensor([t in code_of for t in batch["input_ids"][1].tolist()]) & learned
    share = changed[is_code].float().mean().item()
    assert 0.4 < share < 0.6                                          # 1 - pkeep, minus chance hits
    for old, new in zip(batch["input_ids"][1][changed].tolist(), out[1][changed].tolist()):
        assert code_of[old] // 32 == code_of[new] // 32               # same residual level
    assert torch.equal(corrupt_motion_targets(batch, vocab, 1.0, torch.Generator()), batch["input_ids"])


def test_canonical_describe_targets_and_reworded_prompts():
    import numpy as np

    from tdmm_lm.lm.batches import Clip, sample_examples
    tok = train_bpe_tokenizer(template_texts() * 2, 400)
    vocab = add_motion_tokens(tok, 8)
    clips = [Clip(["A person smiles.", "Someone smiles gently."], "{}", [1, 2, 3], 0.4,
                  ["Someone beams softly."])]
    assert clips[0].prompts == ["A person smiles.", "Someone smiles gently.", "Someone beams softly."]
    tasks = {"describe": 1.0, "generate": 1.0}
    free = sample_examples(clips, vocab, tasks, 200, np.random.default_rng(0), 0.0)
    fixed = sample_examples(clips, vocab, tasks, 200, np.random.default_rng(0), 0.0, canonical=True)
    said = lambda exs, task: {e.target if task == "describe" else e.messages[0]["content"]  # noqa: E731
                              for e in exs if e.task == task}
    assert said(free, "describe") == {"A person smiles.", "Someone smiles gently."}
    assert said(fixed, "describe") == {"A person smiles."}
    for exs in (free, fixed):     # L2M prompts draw from all three either way
        assert any("beams" in p for p in said(exs, "generate"))
        assert any("gently" in p for p in said(exs, "generate"))
