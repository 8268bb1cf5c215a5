"""The EMA codebook, dead-code reset and residual VQ."""

from __future__ import annotations

import torch

from tdmm_lm.vqvae.quantizer import EMAQuantizer, ResidualQuantizer


def test_ema_update_moves_used_codes_towards_their_vectors():
    torch.manual_seed(0)
    q = EMAQuantizer(4, 2, decay=0.5, dead_code_threshold=0.0)
    q.train()
    before = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    q.codebook.copy_(before)
    q.ema_sum.copy_(before)
    q.ema_count.fill_(1.0)
    q.initialized.fill_(True)
    shifted = before + 1.0                      # each vector keeps its nearest code
    _, codes, _ = q(shifted)
    assert codes.tolist() == [0, 1, 2, 3]
    # count stays 1 per code, sum = 0.5·old + 0.5·new → code = midpoint of old code and vector
    assert torch.allclose(q.codebook, before + 0.5, atol=1e-3)


def test_dead_codes_are_reset_to_batch_vectors():
    torch.manual_seed(0)
    q = EMAQuantizer(8, 3, decay=0.9, dead_code_threshold=0.5)
    q.train()
    q(torch.randn(64, 3))
    far = torch.full((3,), 100.0)
    q.codebook[5] = far                          # a code nobody picks
    q.ema_sum[5] = far
    q.ema_count[5] = 0.1                         # below the threshold
    batch = torch.randn(32, 3)
    q(batch)
    new = q.codebook[5]
    assert not torch.allclose(new, far)
    assert (batch - new).norm(dim=1).min() < 1e-6          # it is one of the batch vectors
    assert q.ema_count[5] == 1.0


def test_residual_levels_sum_exactly_and_reduce_error():
    torch.manual_seed(0)
    rq = ResidualQuantizer(3, 16, 4, dead_code_threshold=0.0)
    rq.train()
    z = torch.randn(256, 4)
    for _ in range(5):
        rq(z)
    rq.eval()
    zq, codes, _ = rq(z)
    assert codes.shape == (256, 3)
    assert torch.allclose(zq, rq.lookup(codes), atol=1e-6)      # the sum of the level lookups
    errors = [(z - rq(z, num_levels=n)[0]).pow(2).mean().item() for n in (1, 2, 3)]
    assert errors[0] > errors[1] > errors[2]


def test_quantizer_dropout_marks_skipped_levels():
    torch.manual_seed(0)
    rq = ResidualQuantizer(4, 8, 2, dropout=0.99)
    rq.train()
    seen = {int((rq(torch.randn(32, 2))[1][0] >= 0).sum()) for _ in range(20)}
    assert len(seen) > 1 and min(seen) >= 1       # random prefixes of 1..4 levels
