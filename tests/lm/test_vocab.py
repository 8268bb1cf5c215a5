"""Motion tokens in an LM vocabulary: adding, text round trips, row init, malformed output."""

import pytest
import torch

from tdmm_lm.lm.config import TinyBaseConfig
from tdmm_lm.lm.model import tiny_model_config, train_bpe_tokenizer
from tdmm_lm.lm.vocab import (MOTION_START, MotionVocab, add_motion_tokens,
                              init_motion_rows, resize_for)

TEXTS = ["A person smiles broadly, then winks their left eye.", "Someone nods twice slowly."] * 20


@pytest.fixture
def tokenizer():
    return train_bpe_tokenizer(TEXTS, 300)


def test_add_is_idempotent_and_tokens_are_single(tokenizer):
    before = len(tokenizer)
    vocab = add_motion_tokens(tokenizer, 64, levels=2)
    assert len(tokenizer) == before + 66
    assert add_motion_tokens(tokenizer, 64, levels=2) == vocab and len(tokenizer) == before + 66
    codes = [3, 40, 0, 63, 31, 32]
    ids = tokenizer(vocab.to_text(codes), add_special_tokens=False)["input_ids"]
    assert ids == [vocab.start_id, *vocab.to_ids(codes), vocab.end_id]
    # code -> text -> ids -> text -> code survives decoding, also inside ordinary text
    text = tokenizer.decode(tokenizer("motion: " + vocab.to_text(codes) + " done",
                                      add_special_tokens=False)["input_ids"])
    assert vocab.from_text(text) == codes and text.startswith("motion: " + MOTION_START)
    assert vocab.level_ids(1) == list(vocab.code_ids[32:])


def test_from_tokenizer_without_tokens_is_a_user_error(tokenizer):
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="lacks 66 motion tokens"):
        MotionVocab.from_tokenizer(tokenizer, 64)


def _vocab(levels=2):
    # ids chosen by hand: codes 0..7 -> 100..107, start 200, end 201
    return MotionVocab(tuple(range(100, 108)), 200, 201, levels)


@pytest.mark.parametrize("ids, codes, problem", [
    ([200, 100, 104, 101, 105, 201], [0, 4, 1, 5], None),                       # well formed
    ([200, 100, 104, 101, 105], [0, 4, 1, 5], "no <motion_end>"),               # never ended
    ([200, 100, 104, 101, 7, 105, 201], [0, 4], "non-motion token"),            # stray text token
    ([200, 100, 104, 101, 201], [0, 4], "incomplete last token step"),          # half a step
    ([200, 100, 101, 104, 105, 201], [], "wrong residual level"),               # levels swapped
    ([5, 6, 100, 104, 201], [0, 4], "no <motion_start>"),                       # no start marker
    ([200, 100, 104, 101, 105, 102, 106, 201], [0, 4, 1, 5], "longer than"),    # over the bound
    ([200, 201], [], None),                                                      # empty
    ([1, 2, 3], [], "no <motion_start>"),                                        # no motion at all
])
def test_extract_codes_keeps_the_longest_valid_motion(ids, codes, problem):
    got, problems = _vocab().extract_codes(ids, max_codes=4)
    assert got == codes
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def _model(model_type):
    from transformers import AutoModelForCausalLM
    tok = train_bpe_tokenizer(TEXTS, 300)
    cfg = TinyBaseConfig(model_type=model_type, hidden_size=32, num_layers=1, num_heads=2,
                         num_kv_heads=1, intermediate_size=64)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_model_config(cfg, tok))
    vocab = add_motion_tokens(tok, 16)
    resize_for(model, tok)
    return model, vocab


@pytest.mark.parametrize("model_type", ["qwen3", "llama"])   # tied and untied heads
def test_mean_noise_rows_are_distinct_and_on_scale(model_type):
    model, vocab = _model(model_type)
    init_motion_rows(model, vocab, "mean_noise")
    mats = [model.get_input_embeddings().weight]
    if model_type == "llama":
        mats.append(model.get_output_embeddings().weight)
    new = torch.tensor(vocab.token_ids)
    for w in mats:
        rows, old = w[new].detach(), w[: new.min()].detach()
        assert torch.pdist(rows).min() > 0.1 * torch.pdist(old).mean()   # all distinguishable
        assert rows.std(0).mean() == pytest.approx(old.std(0).mean().item(), rel=0.5)


def test_codebook_rows_keep_codebook_geometry():
    model, vocab = _model("qwen3")
    codebook = torch.randn(16, 8, generator=torch.Generator().manual_seed(1))
    init_motion_rows(model, vocab, "codebook", codebook=codebook)
    rows = model.get_input_embeddings().weight[torch.tensor(vocab.code_ids)].detach()
    # a random projection to 32 dims roughly preserves distances: close codes start close
    corr = torch.corrcoef(torch.stack([torch.pdist(codebook), torch.pdist(rows)]))[0, 1]
    assert corr > 0.6
    with pytest.raises(ValueError):
        init_motion_rows(model, vocab, "codebook", codebook=codebook[:3])
