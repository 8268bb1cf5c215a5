"""CodeGPT: causal masking, condition padding, END handling, seeded sampling, the loss targets
and the pkeep corruption."""

from __future__ import annotations

import pytest
import torch

from tdmm_lm.nn.code_gpt import (IGNORE, CodeGPT, code_targets, corrupt_codes, interleaved_levels,
                                 next_code_loss)

K = 16


def _gpt(seed: int = 0, **kw) -> CodeGPT:
    torch.manual_seed(seed)
    args = dict(num_codes=K, cond_dim=8, width=32, layers=2, heads=4, max_tokens=24, dropout=0.0)
    return CodeGPT(**{**args, **kw}).eval()


def _cond(b: int = 2, lc: int = 3, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, lc, 8, generator=g), torch.ones(b, lc, dtype=torch.bool)


def test_logits_shape_and_causality():
    gpt = _gpt()
    cond, mask = _cond()
    codes = torch.randint(0, K, (2, 10), generator=torch.Generator().manual_seed(0))
    logits = gpt(cond, mask, codes)
    assert logits.shape == (2, 11, K + 1)
    changed = codes.clone()
    changed[:, 6] = (changed[:, 6] + 1) % K
    other = gpt(cond, mask, changed)
    # position i sees codes < i only: code 6 first influences position 7
    torch.testing.assert_close(other[:, :7], logits[:, :7])
    assert (other[:, 7:] - logits[:, 7:]).abs().max() > 1e-4


def test_condition_changes_every_position():
    gpt = _gpt()
    cond, mask = _cond()
    codes = torch.randint(0, K, (2, 5))
    a = gpt(cond, mask, codes)
    b = gpt(cond + 1.0, mask, codes)
    assert ((a - b).abs().amax(-1) > 1e-4).all()


def test_padded_condition_slots_change_nothing():
    gpt = _gpt()
    cond, mask = _cond(b=1, lc=3)
    codes = torch.randint(0, K, (1, 6))
    ref = gpt(cond, mask, codes)
    junk = torch.randn(1, 4, 8) * 5
    padded = torch.cat([cond, junk], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(1, 4, dtype=torch.bool)], dim=1)
    torch.testing.assert_close(gpt(padded, padded_mask, codes), ref, atol=1e-5, rtol=1e-5)
    # and the junk does matter once it is marked real: the mask is what protects
    assert (gpt(padded, torch.ones_like(padded_mask), codes) - ref).abs().max() > 1e-4


def test_padded_codes_do_not_change_real_positions():
    gpt = _gpt()
    cond, mask = _cond()
    codes = torch.randint(0, K, (2, 8))
    codes_mask = torch.ones(2, 8, dtype=torch.bool)
    codes_mask[0, 5:] = False
    a = gpt(cond, mask, codes, codes_mask)
    other = codes.clone()
    other[0, 5:] = (other[0, 5:] + 3) % K
    b = gpt(cond, mask, other, codes_mask)
    torch.testing.assert_close(a[0, :6], b[0, :6])  # up to and including the END position


def test_loss_targets_put_end_at_each_length_and_ignore_the_rest():
    codes = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    t = code_targets(codes, mask, end=K)
    assert t.tolist() == [[3, 4, 5, 6, K], [7, 8, K, IGNORE, IGNORE]]
    logits = torch.full((2, 5, K + 1), -20.0)
    for b in range(2):
        for i, target in enumerate(t[b].tolist()):
            if target != IGNORE:
                logits[b, i, target] = 20.0
    assert next_code_loss(logits, codes, mask) < 1e-6
    logits[1, 3:] = torch.randn(2, K + 1)  # ignored positions
    assert next_code_loss(logits, codes, mask) < 1e-6


def test_generate_stops_at_forced_end_and_is_seeded():
    gpt = _gpt()
    cond, mask = _cond()

    def end_at_3(t, prefix):
        allowed = torch.zeros(prefix.shape[0], K + 1, dtype=torch.bool)
        allowed[:, K if t == 3 else slice(0, K)] = True
        return allowed

    out = gpt.generate(cond, mask, max_tokens=20, allowed=end_at_3)
    assert [len(o) for o in out] == [3, 3]
    assert all(0 <= c < K for o in out for c in o)

    runs = [gpt.generate(cond, mask, max_tokens=12, top_k=5, generator=torch.Generator().manual_seed(7))
            for _ in range(2)]
    assert runs[0] == runs[1]
    other = gpt.generate(cond, mask, max_tokens=12, top_k=5, generator=torch.Generator().manual_seed(8))
    assert other != runs[0]
    assert all(len(o) <= 12 for o in runs[0])


def test_generate_stops_when_end_is_likely_and_greedy_is_deterministic():
    gpt = _gpt()
    with torch.no_grad():  # final features = all ones, head reads them only into END
        gpt.ln_f.weight.zero_()
        gpt.ln_f.bias.fill_(1.0)
        gpt.head.weight.zero_()
        gpt.head.weight[K].fill_(1.0)
    cond, mask = _cond()
    assert gpt.generate(cond, mask, max_tokens=10, greedy=True) == [[], []]


def test_interleaved_levels_rule_keeps_whole_steps():
    gpt = _gpt(num_codes=2 * 8)  # 2 levels x 8 codes
    cond, mask = _cond(b=4)
    out = gpt.generate(cond, mask, max_tokens=10, allowed=interleaved_levels(2, 8),
                       generator=torch.Generator().manual_seed(0))
    for codes in out:
        assert len(codes) >= 2 and len(codes) % 2 == 0
        assert all(c < 8 for c in codes[0::2]) and all(8 <= c < 16 for c in codes[1::2])


def test_corrupt_codes_keeps_the_share_and_the_level():
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 8, (64, 50), generator=g) + torch.tensor([0, 8]).repeat(25)
    mask = torch.ones_like(codes, dtype=torch.bool)
    mask[:, 40:] = False
    out = corrupt_codes(codes, mask, pkeep=0.5, num_codes=16, levels=2, generator=g)
    changed = (out != codes)[:, :40].float().mean().item()
    assert 0.35 < changed < 0.5  # 50% replaced, 1/8 of replacements land on the same code
    assert torch.equal(out[:, 40:], codes[:, 40:])
    assert torch.equal(out // 8, codes // 8)
    assert torch.equal(corrupt_codes(codes, mask, pkeep=1.0, num_codes=16), codes)


def test_rejects_sequences_longer_than_max_tokens():
    gpt = _gpt(max_tokens=4)
    cond, mask = _cond()
    with pytest.raises(ValueError, match="max_tokens"):
        gpt(cond, mask, torch.zeros(2, 5, dtype=torch.long))


def test_level_mask_matches_the_sampling_rule():
    from tdmm_lm.nn.code_gpt import interleaved_level_mask
    mask = interleaved_level_mask(3, 4, 7)
    assert mask.shape == (7, 13)
    rule = interleaved_levels(3, 4)
    for t in range(7):
        assert torch.equal(rule(t, torch.zeros(2, t, dtype=torch.long)), mask[t].expand(2, -1))
    assert mask[:, :12].sum(1).tolist() == [4] * 7
    assert mask[:, 12].tolist() == [False, False, False, True, False, False, True]
    assert mask[4, 4:8].all() and not mask[4, :4].any() and not mask[4, 8:12].any()


@pytest.mark.parametrize("tie", [False, True])
def test_cached_generation_equals_rerunning_the_whole_sequence(tie):
    """``generate`` runs one position per step on cached keys/values; sampling by re-running
    ``forward`` over everything so far must give the same codes."""
    torch.manual_seed(0)
    gpt = CodeGPT(num_codes=10, cond_dim=6, width=16, layers=2, heads=2, max_tokens=8, dropout=0.0,
                  tie_embeddings=tie).eval()
    cond = torch.randn(3, 4, 6)
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    for guidance in (1.0, 2.5):
        got = gpt.generate(cond, mask, max_tokens=8, generator=torch.Generator().manual_seed(3),
                           guidance=guidance)
        gen, codes, done = torch.Generator().manual_seed(3), torch.empty(3, 0, dtype=torch.long), [None] * 3
        with torch.no_grad():
            for t in range(8):
                c = gpt(cond, mask, codes)[:, -1]
                u = gpt(cond, torch.zeros_like(mask), codes)[:, -1]
                logits = u + guidance * (c - u) if guidance != 1.0 else c
                nxt = torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(1)
                for i in range(3):
                    if done[i] is None and int(nxt[i]) == gpt.end:
                        done[i] = t
                nxt = torch.tensor([gpt.pad if done[i] is not None else int(nxt[i]) for i in range(3)])
                codes = torch.cat([codes, nxt[:, None]], 1)
                if all(d is not None for d in done):
                    break
        expected = [codes[i, :(8 if done[i] is None else done[i])].tolist() for i in range(3)]
        assert got == expected
