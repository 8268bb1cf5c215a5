"""The parameter term of the tokenizer loss: why the default is MSE, not smooth-L1."""

import pytest
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.vqvae.config import LossConfig, VQConfig
from tdmm_lm.vqvae.losses import VQLoss


def _param_loss(kind: str, target: torch.Tensor, constant: float) -> float:
    loss = VQLoss(LossConfig(vertex=0.0, velocity=0.0, commitment=0.0, param_loss=kind))
    mask = torch.ones(target.shape[:2], dtype=torch.bool)
    total, _ = loss(target, torch.full_like(target, constant), mask, torch.zeros(()), lambda x: x)
    return total.item()


@pytest.mark.parametrize("kind, best", [("mse", "mean"), ("smooth_l1", "rest")])
def test_a_mostly_resting_channel(kind, best):
    # a normalised channel at rest (-0.4) on 90% of frames with a 3.6 spike on the rest: a
    # blink. MSE is lowest at the mean (the spike still pulls); smooth-L1 at the rest value
    # (its median), so a decoder trained with it learns to flatten the spike.
    target = torch.full((1, 100, 1), -0.4)
    target[0, :10] = 3.6
    at_mean, at_rest = _param_loss(kind, target, 0.0), _param_loss(kind, target, -0.4)
    assert (at_mean < at_rest) == (best == "mean")


def test_param_loss_is_checked():
    with pytest.raises(TdmmError, match="loss.param_loss"):
        VQConfig.from_dict({"loss": {"param_loss": "l2"}})


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_asymmetry_term_tells_a_half_closed_pair_from_a_wink(weight):
    # target: a wink (left 1, right 0). A: both half shut, what a tokenizer learns first. B: the
    # same parameter error, but lopsided the right way. Only the asymmetry term tells them apart.
    cfg = LossConfig(vertex=0.0, velocity=0.0, commitment=0.0, asymmetry=weight)
    loss = VQLoss(cfg, mirror_pairs=[(0, 1)])
    target = torch.tensor([[[1.0, 0.0, 0.3]] * 2])
    mask = torch.ones(1, 2, dtype=torch.bool)
    symmetric = torch.tensor([[[0.5, 0.5, 0.3]] * 2])
    lopsided = torch.tensor([[[1.5, 0.5, 0.3]] * 2])
    (a, _), (b, _) = (loss(target, r, mask, torch.zeros(()), lambda x: x) for r in (symmetric, lopsided))
    assert a.item() == pytest.approx(b.item() + weight * 1.0)   # (0 - 1)² over one pair


def test_asymmetry_without_mirror_pairs_is_no_term():
    # FLAME's expression coefficients have no left/right channels: the same loss as without it
    target, recon = torch.zeros(1, 2, 3), torch.ones(1, 2, 3)
    mask = torch.ones(1, 2, dtype=torch.bool)
    losses = [VQLoss(LossConfig(vertex=0.0, asymmetry=w))(target, recon, mask, torch.zeros(()),
                                                           lambda x: x)[0].item() for w in (0.0, 1.0)]
    assert losses[0] == losses[1]
