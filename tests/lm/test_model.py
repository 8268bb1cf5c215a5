"""Base models of three families from a local folder (the hub-id code path), motion vocab,
LoRA with trainable motion rows: it learns, saves small and reloads to identical logits."""

import pytest
import torch

from tdmm_lm.lm.config import LMConfig
from tdmm_lm.lm.tdmmlm import TDMMLM, load_lm
from tdmm_lm.lm.model import add_motion_vocab, build_tiny_base, load_base, prepare_for_training
from tdmm_lm.lm.prompts import template_texts
from tests.lm.helpers import TINY_BASE
from tests.tiny import make_tokenizer


@pytest.fixture(scope="module")
def motion_tokenizer():
    return make_tokenizer(levels=2)


def _base(tmp_path, model_type, chat_template=True):
    folder = build_tiny_base(LMConfig.from_dict({"model": {"tiny": {**TINY_BASE, "model_type": model_type}}}).model.tiny,
                             template_texts() * 3, tmp_path / f"base_{model_type}")
    if not chat_template:   # a base LM without a chat template (like GPT-2 on the hub)
        (folder / "chat_template.jinja").unlink()
    return folder


@pytest.mark.parametrize("model_type, tied", [("qwen3", True), ("llama", False), ("gpt2", True)])
def test_lora_learns_saves_small_and_reloads_identically(tmp_path, motion_tokenizer, model_type, tied):
    base = _base(tmp_path, model_type, chat_template=model_type != "gpt2")
    cfg = LMConfig.from_dict({"model": {"base_model": str(base), "finetune": "lora",
                                        "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}})
    model, tok = load_base(str(base))
    if model_type == "gpt2":
        assert "assistant: " in tok.apply_chat_template([{"role": "user", "content": "hi"}],
                                                        tokenize=False, add_generation_prompt=True)
    vocab = add_motion_vocab(model, tok, motion_tokenizer, "mean_noise")
    frozen_row = model.get_input_embeddings().weight[5].detach().clone()
    model = prepare_for_training(model, vocab, cfg.model)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or "trainable_tokens" in n for n in names)
    assert any("lm_head" in n for n in names) == (not tied)   # untied heads get their own rows
    ids = torch.tensor([[*tok("Describe the facial motion.")["input_ids"][:6],
                         *vocab.to_ids([0, 32, 1, 33, 2, 34]), vocab.end_id]])
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(8):
        loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.8
    model.eval()
    with torch.no_grad():
        before = model(input_ids=ids).logits
    TDMMLM(model, tok, vocab, motion_tokenizer, cfg).save_pretrained(tmp_path / "run")
    adapter = tmp_path / "run" / "adapter" / "adapter_model.safetensors"
    base_bytes = (base / "model.safetensors").stat().st_size
    assert adapter.stat().st_size < 0.6 * base_bytes     # no copy of the embedding matrices
    assert not (tmp_path / "run" / "base").exists()      # the base is referenced, not copied
    reloaded, tok2 = load_lm(tmp_path / "run", cfg)
    assert len(tok2) == len(tok)
    with torch.no_grad():
        after = reloaded(input_ids=ids).logits
    torch.testing.assert_close(after, before, atol=1e-6, rtol=0)
    assert torch.equal(reloaded.get_base_model().get_input_embeddings().weight[5], frozen_row)


def test_unknown_base_is_a_user_error(tmp_path):
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="cannot load a causal LM"):
        load_base(str(tmp_path / "nowhere"))
