"""MDM's settings (network, diffusion, sampling defaults). Reference values (FIELD_NOTES):
encoder 8 x 512, 4 heads, ff 1024, cosine schedule of 1000 steps, x0 prediction, condition
dropout 0.1, guidance 2.5 (the defaults here; ``input_skip`` is ours, off by default)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tdmm_lm.yaml_config import check


@dataclass
class MDMConfig:
    width: int = 512
    layers: int = 8
    heads: int = 4
    ff_size: int = 1024
    dropout: float = 0.1
    diffusion_steps: int = 1000  # training schedule length (cosine)
    cond_dropout: float = 0.1    # P(text dropped) per training sample: learns the unconditional model for guidance
    max_frames: int = 196        # longest training crop and generated length (Express4D: 196 at 20 fps)
    fps: float = 0.0             # frame rate the model works at; 0 = the training split's
    guidance_scale: float = 2.5  # sampling default: x0 = uncond + s * (cond - uncond); 1 = no guidance
    sample_steps: int = 50       # sampling default: respaced steps (diffusion_steps = the full schedule)
    eta: float = 0.0             # sampling default: 0 = deterministic DDIM, 1 = DDPM ancestral noise
    # x0 = sqrt(a) x_t + sqrt(1-a) F (a = alpha_bar_t): the network adds what the noisy input
    # lacks (EDM's c_skip/c_out for unit-variance data) instead of rebuilding x0 from scratch.
    # False = MDM's plain x0 head, which short runs never teach to pass a clean input through
    # (eval/results/mdm_sampling.md); the default, so checkpoints saved before it load unchanged.
    input_skip: bool = False

    def validate(self) -> None:
        for name in ("width", "layers", "heads", "ff_size", "diffusion_steps", "max_frames",
                     "sample_steps"):
            check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        check(self.width % self.heads == 0, "model.width", "must be a multiple of model.heads")
        check(0 <= self.dropout < 1 and 0 <= self.cond_dropout < 1, "model.dropout/cond_dropout",
              "must be in [0, 1)")
        check(self.fps >= 0, "model.fps", "must be >= 0 (0 = the dataset's fps)")
        check(self.guidance_scale >= 0, "model.guidance_scale", "must be >= 0")
        check(self.sample_steps <= self.diffusion_steps, "model.sample_steps",
              "must be <= model.diffusion_steps")
        check(0 <= self.eta <= 1, "model.eta", "must be in [0, 1]")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
