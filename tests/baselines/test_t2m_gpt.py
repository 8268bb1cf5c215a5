"""T2M-GPT: stops at its END token on whole token steps, pkeep only in training, the frozen
tokenizer travels inside the model."""

from __future__ import annotations

import pytest
import torch

from tests.tiny import make_tokenizer


def _model(levels: int = 2):
    from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
    from tdmm_lm.baselines.t2m_gpt.modeling import T2MGPT
    torch.manual_seed(0)
    cfg = T2MGPTConfig(width=32, layers=2, heads=4, dropout=0.0, pkeep=0.5)
    return T2MGPT.build(cfg, make_tokenizer(levels=levels), "minilm", 8, max_tokens=20).eval()


def test_stops_at_its_end_token_on_a_whole_step():
    model = _model(levels=2)
    gpt, vocab = model.gpt, model.tokenizer.vocab_size
    with torch.no_grad():  # final features all ones; the head reads them only into END
        gpt.ln_f.weight.zero_()
        gpt.ln_f.bias.fill_(1.0)
        gpt.head.weight.zero_()
        gpt.head.weight[vocab].fill_(1.0)
    out = model.sample(torch.randn(3, 8), generator=torch.Generator().manual_seed(0))
    # END is the favourite everywhere, but allowed only after one whole step of 2 levels
    assert [len(c) for c in out] == [2, 2, 2]
    assert all(c[0] < 32 <= c[1] < 64 for c in out)
    with torch.no_grad():
        gpt.head.weight[vocab].zero_()  # END never likelier than a code: runs to max_tokens
    out = model.sample(torch.randn(2, 8), greedy=True)
    assert [len(c) for c in out] == [20, 20]


def test_pkeep_corrupts_inputs_in_training_only():
    model = _model()
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 32, (4, 10), generator=g) + torch.tensor([0, 32] * 5)
    batch = {"codes": codes, "mask": torch.ones(4, 10, dtype=torch.bool), "cond": torch.randn(4, 8)}
    a = model(batch, generator=torch.Generator().manual_seed(1))[0]
    b = model(batch, generator=torch.Generator().manual_seed(2))[0]
    assert a.item() == b.item()  # eval: no corruption, nothing random
    model.train()
    c = model(batch, generator=torch.Generator().manual_seed(1))[0]
    d = model(batch, generator=torch.Generator().manual_seed(2))[0]
    assert c.item() != d.item()
    assert not model.tokenizer.training  # frozen tokenizer stays in eval mode


def test_tokenizer_weights_are_copied_and_frozen():
    from tests.tiny import make_tokenizer as fresh
    model = _model()
    source = fresh(levels=2)
    for name, value in source.state_dict().items():
        assert torch.equal(model.tokenizer.state_dict()[name], value), name
    assert not any(p.requires_grad for p in model.tokenizer.parameters())
    assert all(p.requires_grad for p in model.gpt.parameters())


def test_loss_is_over_the_outputs_the_sampler_may_pick():
    """Position t competes only among level t % 2 codes (plus END at step boundaries)."""
    model = _model(levels=2)  # 2 levels x 32 codes, END = 64
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 32, (2, 6), generator=g) + torch.tensor([0, 32] * 3)
    cond = torch.randn(2, 8, generator=g)
    loss = model({"codes": codes, "mask": torch.ones(2, 6, dtype=torch.bool), "cond": cond})[0]
    logits = model.gpt(cond[:, None], torch.ones(2, 1, dtype=torch.bool), codes)
    expected = []
    for b in range(2):
        for t in range(7):
            target = int(codes[b, t]) if t < 6 else 64
            level = t % 2
            allowed = list(range(32 * level, 32 * level + 32)) + ([64] if t and not level else [])
            expected.append(-logits[b, t, allowed].log_softmax(-1)[allowed.index(target)])
    assert loss.item() == pytest.approx(torch.stack(expected).mean().item(), rel=1e-5)
    full = torch.nn.functional.cross_entropy(logits.reshape(-1, 65), torch.cat(
        [codes, torch.full((2, 1), 64)], 1).reshape(-1))
    assert full.item() > loss.item() + 0.3  # unmasked, the other level's 32 codes compete too


def test_fsq_tokenizer_sizes_the_vocabulary_and_samples_decode():
    from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
    from tdmm_lm.baselines.t2m_gpt.modeling import T2MGPT
    torch.manual_seed(0)
    tok = make_tokenizer(quantizer="fsq", fsq_levels=[4, 3, 2])    # 24 codes, one per step
    model = T2MGPT.build(T2MGPTConfig(width=32, layers=2, heads=4, dropout=0.0), tok, "minilm", 8,
                         max_tokens=12).eval()
    assert model.gpt.num_codes == 24
    out = model.sample(torch.randn(2, 8), generator=torch.Generator().manual_seed(0))
    assert all(1 <= len(c) <= 12 and all(0 <= x < 24 for x in c) for c in out)
    assert [tok.decode(c).num_frames for c in out] == [len(c) * tok.downsample for c in out]
