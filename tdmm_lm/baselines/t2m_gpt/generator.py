"""``T2MGPTGenerator``: the trained model as a ``MotionGenerator``.

Generator options (``BuildContext.options``): ``top_k`` (0 = full distribution),
``temperature``, ``greedy``. Without ``lengths`` the model ends each motion with its END
token; with them END is held back until the asked length (T2M-GPT's own evaluation ignores
lengths, but a user who asks for 5 s gets 5 s) and the motion is cut to exactly that many
frames. ``free_length`` (option) restores the paper's protocol for a benchmark: lengths are
ignored and the model ends each motion. Output is at the tokenizer's fps.
"""

from __future__ import annotations

import numpy as np
import torch

from tdmm_lm.baselines.generator import BaselineGenerator, load_model, option
from tdmm_lm.generators import BuildContext


class T2MGPTGenerator(BaselineGenerator):
    name = "t2m-gpt"

    def __init__(self, model, *, top_k: int | None = None, temperature: float | None = None,
                 greedy: bool | None = None, free_length: bool | None = None) -> None:
        super().__init__(model)
        self.top_k, self.temperature, self.greedy = top_k, temperature, greedy
        self.free_length = bool(free_length)

    def _arrays(self, cond: torch.Tensor, lengths: list[int] | None,
                generator: torch.Generator) -> list[np.ndarray]:
        if self.free_length:
            lengths = None
        codes = self.model.sample(cond, lengths=lengths, top_k=self.top_k,
                                  temperature=self.temperature, greedy=self.greedy,
                                  generator=generator)
        arrays = [m.data for m in self.model.tokenizer.decode_batch(codes)]
        return arrays if lengths is None else [a[:n] for a, n in zip(arrays, lengths)]

    @property
    def max_frames(self) -> int:
        return self.model.max_frames

    def _format(self):
        tok = self.model.tokenizer
        return tok.format, tok.channels


def build_generator(checkpoint: str | None, context: BuildContext) -> T2MGPTGenerator:
    model = load_model("t2m-gpt", checkpoint, context.device)
    return T2MGPTGenerator(model, top_k=option(context, "top_k", int),
                           temperature=option(context, "temperature", float),
                           greedy=option(context, "greedy", bool),
                           free_length=option(context, "free_length", bool))
