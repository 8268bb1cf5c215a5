"""T2M-GPT (Zhang et al. 2023): a GPT over the motion tokenizer's codes with the sentence
embedding as the first token and an END token, so the model chooses the length.

The network is ``tdmm_lm.nn.CodeGPT`` with a one-slot condition. The checkpoint holds the
motion tokenizer too (its config in ``config.json``, its weights, frozen, in
``model.safetensors``), so one folder turns prompts into motion. Training feeds inputs
corrupted by "pkeep" (a share of codes replaced by random codes of the same residual level)
against the true next codes.

Differences from the reference, and why: the tokenizer may be residual (several codes per
step, interleaved), so the loss and the sampler only let a position choose among its own
level's codes (END only between steps); ``tie_embeddings`` (off in the paper config) ties the
output head to the code embeddings, which short CPU runs learn much faster.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
from tdmm_lm.nn.code_gpt import (CodeGPT, corrupt_codes, exact_lengths, interleaved_level_mask,
                                 interleaved_levels, next_code_loss)
from tdmm_lm.vqvae.tokenizer import MotionTokenizer


def tokenizer_args(tokenizer: MotionTokenizer) -> dict:
    """The constructor arguments that rebuild ``tokenizer`` (its ``config.json``)."""
    return {"vq": tokenizer.vq_config.to_dict(), "format": tokenizer.format,
            "channels": list(tokenizer.channels), "fps": tokenizer.fps}


class T2MGPT(nn.Module, PyTorchModelHubMixin, library_name="tdmm-lm",
             tags=["facial-motion", "text-to-motion", "t2m-gpt"]):
    """GPT + frozen tokenizer. ``forward(batch)`` is the training loss; ``sample`` writes codes."""

    def __init__(self, gpt: dict, tokenizer: dict, text_encoder: str, cond_dim: int,
                 max_tokens: int) -> None:
        super().__init__()
        self.cfg = T2MGPTConfig(**gpt)
        self.cfg.validate()
        self.text_encoder, self.cond_dim = text_encoder, int(cond_dim)
        self.tokenizer = MotionTokenizer(**tokenizer).requires_grad_(False).eval()
        c = self.cfg
        self.gpt = CodeGPT(self.tokenizer.vocab_size, cond_dim, c.width, c.layers, c.heads,
                           max_tokens, c.dropout, tie_embeddings=c.tie_embeddings)

    @classmethod
    def build(cls, cfg: T2MGPTConfig, tokenizer: MotionTokenizer, text_encoder: str, cond_dim: int,
              max_tokens: int) -> T2MGPT:
        """A fresh GPT around a trained ``tokenizer`` (copied in)."""
        model = cls(cfg.to_dict(), tokenizer_args(tokenizer), text_encoder, cond_dim, max_tokens)
        model.tokenizer.load_state_dict(tokenizer.state_dict())
        return model

    @property
    def fps(self) -> float:
        return self.tokenizer.fps

    @property
    def device(self) -> torch.device:
        return self.tokenizer.device

    def train(self, mode: bool = True) -> T2MGPT:
        super().train(mode)
        self.tokenizer.eval()  # frozen: its quantiser must never update its EMA codebooks
        return self

    def forward(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss of ``{"codes": [B, T] long, "mask": [B, T], "cond": [B, cond_dim]}``
        over the outputs the sampler may pick (``interleaved_level_mask``); pkeep corruption
        only in training mode. Logs the loss and next-code accuracy."""
        codes, mask = batch["codes"], batch["mask"].bool()
        cond = batch["cond"][:, None]  # one condition slot
        inputs = codes
        if self.training:
            inputs = corrupt_codes(codes, mask, pkeep=self.cfg.pkeep, num_codes=self.gpt.num_codes,
                                   levels=self.tokenizer.levels, generator=generator)
        logits = self.gpt(cond, torch.ones(cond.shape[:2], dtype=torch.bool, device=cond.device),
                          inputs, mask)
        # only what the sampler may pick competes: codes of the position's level (END at steps)
        tok = self.tokenizer
        allowed = interleaved_level_mask(tok.levels, tok.codebook_size, logits.shape[1], logits.device)
        logits = logits.masked_fill(~allowed, float("-inf"))
        loss = next_code_loss(logits, codes, mask)
        return loss, {"loss": float(loss.detach()),
                      "accuracy": float((logits[:, :-1].argmax(-1) == codes)[mask].float().mean())}

    @property
    def max_frames(self) -> int:
        """The longest motion the model can write (its position table), in frames."""
        return self.gpt.max_tokens // self.tokenizer.levels * self.tokenizer.downsample

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, *, lengths: list[int] | None = None,
               top_k: int | None = None, temperature: float | None = None,
               greedy: bool | None = None, generator: torch.Generator | None = None) -> list[list[int]]:
        """Code lists (whole token steps, END excluded) for text vectors ``cond [B, cond_dim]``.
        ``lengths`` (frames) make each row cover at least that many frames (END is forbidden
        until then and forced after: the asked length is honoured, not left to the model);
        None lets the model end each motion. Lengths are capped at ``max_frames`` (as MDM's;
        ``tdmm-lm generate`` refuses longer asks before sampling).
        Settings default to the config's; ``top_k`` 0/None = the full distribution."""
        c, tok = self.cfg, self.tokenizer
        top_k = c.top_k if top_k is None else top_k
        cond = cond.to(self.device, torch.float32)[:, None]
        mask = torch.ones(cond.shape[:2], dtype=torch.bool, device=cond.device)
        rule = interleaved_levels(tok.levels, tok.codebook_size)
        # a sample that never emits END stops on a whole step
        max_tokens = self.gpt.max_tokens // tok.levels * tok.levels
        if lengths is not None:
            steps = [-(-min(int(n), self.max_frames) // tok.downsample) for n in lengths]
            need = [s * tok.levels for s in steps]
            rule, max_tokens = exact_lengths(rule, need), max(need)
        return self.gpt.generate(cond, mask, max_tokens=max_tokens, top_k=top_k or None,
                                 temperature=c.temperature if temperature is None else temperature,
                                 greedy=c.greedy if greedy is None else greedy, generator=generator,
                                 allowed=rule)
