"""FSQ: exact index <-> grid round trip, straight-through gradients, every code reachable, and
an FSQ tokenizer that loads back with identical codes and sizes the token models' vocabulary."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.vqvae.quantizer import FSQuantizer
from tests.tiny import make_tokenizer, random_motion, tiny_config

LEVELS = [3, 4, 2, 5]     # odd and even levels; 120 codes


def test_indices_round_trip_exactly_and_enumerate_the_grid():
    q = FSQuantizer(LEVELS, code_dim=8)
    idx = torch.arange(120)
    grid = q.indices_to_codes(idx)
    assert torch.equal(q.codes_to_indices(grid), idx)
    # the grid is the full product of per-dimension values, each value scaled into [-1, 1]
    per_dim = [sorted(set(grid[:, i].tolist())) for i in range(len(LEVELS))]
    assert [len(v) for v in per_dim] == LEVELS
    assert all(-1.0 <= v[0] and v[-1] <= 1.0 for v in per_dim)
    assert len({tuple(r) for r in grid.tolist()}) == 120
    assert set(itertools.product(*per_dim)) == {tuple(r) for r in grid.tolist()}


def test_every_code_is_reachable_from_encoder_outputs():
    torch.manual_seed(0)
    q = FSQuantizer(LEVELS, code_dim=8)
    zhat = q.quantize(3 * torch.randn(20000, len(LEVELS)))
    assert set(q.codes_to_indices(zhat).tolist()) == set(range(120))
    # and quantize only ever yields grid points
    assert torch.equal(q.indices_to_codes(q.codes_to_indices(zhat)), zhat)


def test_gradients_pass_straight_through_the_rounding():
    q = FSQuantizer(LEVELS, code_dim=8)
    z = torch.randn(64, len(LEVELS), requires_grad=True)
    w = torch.randn(64, len(LEVELS))
    (g_quant,) = torch.autograd.grad((q.quantize(z) * w).sum(), z)
    half = torch.tensor([lv // 2 for lv in LEVELS], dtype=torch.float32)
    (g_smooth,) = torch.autograd.grad((q.bound(z) / half * w).sum(), z)
    assert g_quant.abs().sum() > 0
    assert torch.allclose(g_quant, g_smooth)
    # the whole quantiser: encoder-side input gets gradient, there is no commitment term
    x = torch.randn(10, 8, requires_grad=True)
    zq, codes, commitment = q(x)
    zq.sum().backward()
    assert x.grad.abs().sum() > 0 and float(commitment) == 0.0 and codes.shape == (10, 1)


def test_fsq_tokenizer_vocabulary_save_and_load(tmp_path):
    from tdmm_lm.vqvae import MotionTokenizer
    tok = make_tokenizer(quantizer="fsq", fsq_levels=[8, 5, 5, 5], downsample=2)
    assert (tok.levels, tok.codebook_size, tok.vocab_size) == (1, 1000, 1000)
    assert tok.tokens_per_second == 15.0
    motion = random_motion(50)
    codes = tok.encode(motion)
    assert len(codes) == 25 and all(0 <= c < 1000 for c in codes)
    tok.save_pretrained(tmp_path)
    loaded = MotionTokenizer.from_pretrained(tmp_path)
    assert loaded.encode(motion) == codes
    assert np.array_equal(loaded.decode(codes).data, tok.decode(codes).data)
    with pytest.raises(TdmmError, match="out of range"):
        tok.decode([1000])
    # the LM's codebook-initialisation reads one vector per token id
    from tdmm_lm.lm.vocab import motion_codebook
    assert motion_codebook(tok).shape == (1000, tok.vq_config.model.code_dim)


@pytest.mark.parametrize("bad, field", [({"fsq_levels": [8, 1]}, "fsq_levels"),
                                        ({"levels": 2}, "levels"),
                                        ({"quantizer": "lfq"}, "quantizer")])
def test_bad_fsq_config_names_the_field(bad, field):
    with pytest.raises(TdmmError, match=field):
        tiny_config(**{"quantizer": "fsq", **bad})


def test_codebook_use_is_reported_over_the_fsq_grid():
    from tdmm_lm.vqvae.evaluate import evaluate_motions
    tok = make_tokenizer(quantizer="fsq", fsq_levels=[3, 3])
    metrics = evaluate_motions(tok, [random_motion(64, seed=s) for s in range(3)], timing=False)
    (use,) = metrics["codebook"]
    codes = {c for s in range(3) for c in tok.encode(random_motion(64, seed=s))}
    assert use["usage"] == pytest.approx(len(codes) / 9)
    assert 1.0 <= use["perplexity"] <= len(codes)
