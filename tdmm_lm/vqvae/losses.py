"""The VQ-VAE training loss: vertex L1 (through the face geometry) + normalised-parameter MSE
(or smooth-L1) + velocity + commitment, each weighted by ``LossConfig``.

Parameters alone weigh every channel alike after z-scoring, but the eye reads a 2 mm eyelid
error and ignores a large error on a channel that barely moves the mesh: the vertex term
measures what is seen. It runs on a vertex subset for speed, drawn with probability
proportional to how far the blendshapes can move each vertex, so lips and eyelids are well
covered while the rigid skull is not sampled at all.

Faces rest most of the time, and an L1-like loss on a mostly-resting signal is lowest at its
median, the rest pose. With smooth-L1 parameters and the vertex L1 at weight 1, the tiny
tokenizer learned to output the head, jaw and smile and to flatten brows, eye actions and
blinks (R² ≈ 0.15 over channels, see eval/results/vq_param_loss.md); MSE on the parameters
with the vertex term at 0.1 keeps them.

Faces are mostly symmetric, and a tokenizer learns the symmetric half first: a wink came back as
both eyes half shut, one raised brow as both half raised (the mean of a one-sided action over
its mirror pair). The asymmetry term is MSE on the normalised left-minus-right difference of
each mirror pair (``MotionFormat.mirror_pairs``), the error the parameter term sees least.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tdmm_lm.vqvae.config import LossConfig


def _masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values[B, T, ...]`` over frames where ``mask[B, T]`` is True."""
    m = mask.to(values.dtype).view(*mask.shape, *([1] * (values.ndim - 2)))
    per_frame = values[0, 0].numel()
    return (values * m).sum() / (m.sum() * per_frame).clamp(min=1)


class VQLoss(nn.Module):
    """``forward(target, recon, mask, commitment, denormalize)`` → (total loss, logs).

    ``target``/``recon``: normalised ``[B, T, D]``; ``mask`` ``[B, T]``; ``denormalize`` maps
    normalised to raw parameters (what the geometry reads). ``geometry`` may be None when the
    vertex weight is 0 (the parameter-only ablation).
    """

    def __init__(self, cfg: LossConfig, geometry=None, seed: int = 0,
                 mirror_pairs: list[tuple[int, int]] = ()):
        super().__init__()
        self.cfg = cfg
        # a format without left/right channels (FLAME's expression coefficients) has no pairs:
        # the term is then 0 and the loss the same as without it
        left, right = zip(*mirror_pairs) if mirror_pairs else ((), ())
        self.register_buffer("pair_left", torch.tensor(left, dtype=torch.long), persistent=False)
        self.register_buffer("pair_right", torch.tensor(right, dtype=torch.long), persistent=False)
        self.geometry = geometry if cfg.vertex > 0 else None
        if cfg.vertex > 0 and geometry is None:
            raise ValueError("loss.vertex > 0 needs a face geometry")
        if self.geometry is not None:
            ids = geometry.vertex_subset(cfg.vertex_subset, seed,
                                         weighted=cfg.vertex_sampling == "influence")
            self.register_buffer("vertex_ids", ids, persistent=False)

    def forward(self, target: Tensor, recon: Tensor, mask: Tensor, commitment: Tensor,
                denormalize) -> tuple[Tensor, dict[str, float]]:
        c = self.cfg
        recon, target = recon.float(), target.float()
        param_fn = F.mse_loss if c.param_loss == "mse" else F.smooth_l1_loss
        param = _masked_mean(param_fn(recon, target, reduction="none"), mask)
        vel_mask = mask[:, 1:] & mask[:, :-1]
        velocity = _masked_mean(F.smooth_l1_loss(recon.diff(dim=1), target.diff(dim=1),
                                                 reduction="none"), vel_mask)
        total = c.param * param + c.velocity * velocity + c.commitment * commitment
        logs = {"param": param.item(), "velocity": velocity.item(), "commit": commitment.item()}
        if c.asymmetry > 0 and len(self.pair_left):
            error = recon - target        # (rL - rR) - (tL - tR) = eL - eR
            asymmetry = _masked_mean((error[..., self.pair_left] - error[..., self.pair_right]).pow(2),
                                     mask)
            total = total + c.asymmetry * asymmetry
            logs["asymmetry"] = asymmetry.item()
        if self.geometry is not None:
            ids = self.vertex_ids
            v_pred = self.geometry.vertices(denormalize(recon), vertex_ids=ids)
            with torch.no_grad():
                v_true = self.geometry.vertices(denormalize(target), vertex_ids=ids)
            # L1 on xyz in millimetres: one unit of loss = 1 mm whatever the rig's units
            vertex = _masked_mean((v_pred - v_true).abs() * self.geometry.mm_per_unit, mask)
            total = total + c.vertex * vertex
            logs["vertex_mm"] = vertex.item()
        logs["loss"] = total.item()
        return total, logs
