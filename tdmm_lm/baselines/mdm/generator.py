"""``MDMGenerator``: the trained model as a ``MotionGenerator``.

Generator options (``BuildContext.options``): ``steps`` (sampling steps; the config's default,
e.g. 50, or ``diffusion_steps`` for the full schedule), ``guidance`` (classifier-free guidance
scale), ``eta`` (0 DDIM, 1 DDPM) and ``seconds`` (length when the caller passes none). MDM
cannot choose a length: without ``lengths`` and ``seconds`` it uses the training split's median
clip length, stored in the checkpoint.
"""

from __future__ import annotations

import numpy as np
import torch

from tdmm_lm.baselines.generator import BaselineGenerator, load_model, option
from tdmm_lm.generators import BuildContext


class MDMGenerator(BaselineGenerator):
    name = "mdm"

    def __init__(self, model, *, steps: int | None = None, guidance: float | None = None,
                 eta: float | None = None, seconds: float | None = None) -> None:
        super().__init__(model)
        self.steps, self.guidance, self.eta = steps, guidance, eta
        self.default_frames = model.default_frames if seconds is None else max(1, round(seconds * model.fps))

    def _arrays(self, cond: torch.Tensor, lengths: list[int] | None,
                generator: torch.Generator) -> list[np.ndarray]:
        lengths = lengths or [self.default_frames] * len(cond)
        return self.model.sample(cond, lengths, steps=self.steps, guidance_scale=self.guidance,
                                 eta=self.eta, generator=generator)

    @property
    def max_frames(self) -> int:
        """The longest motion the model generates (longer asks are capped by ``sample``)."""
        return self.model.cfg.max_frames

    def _format(self):
        return self.model.format, self.model.channels


def build_generator(checkpoint: str | None, context: BuildContext) -> MDMGenerator:
    model = load_model("mdm", checkpoint, context.device)
    return MDMGenerator(model, steps=option(context, "steps", int),
                        guidance=option(context, "guidance", float), eta=option(context, "eta", float),
                        seconds=option(context, "seconds", float))
