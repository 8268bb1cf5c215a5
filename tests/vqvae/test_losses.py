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
