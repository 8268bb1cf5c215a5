"""T2M-GPT's settings (GPT size, pkeep, sampling defaults). Reference values (FIELD_NOTES):
18 pre-LN blocks of width 1024 (16 heads), text embedding as the first token, an END token,
pkeep 0.5, multinomial sampling."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tdmm_lm.yaml_config import check


@dataclass
class T2MGPTConfig:
    width: int = 1024
    layers: int = 18
    heads: int = 16
    dropout: float = 0.1
    tie_embeddings: bool = False  # output head = code embeddings (GPT-2); T2M-GPT keeps them separate
    pkeep: float = 0.5           # share of input codes kept; the rest become random codes in training
    max_tokens: int = 0          # longest code sequence; 0 = the longest training sequence
    top_k: int = 0               # sampling default: 0 = the full distribution (T2M-GPT)
    temperature: float = 1.0     # sampling default
    greedy: bool = False         # sampling default: argmax instead of sampling

    def validate(self) -> None:
        for name in ("width", "layers", "heads"):
            check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        check(self.width % self.heads == 0, "model.width", "must be a multiple of model.heads")
        check(0 <= self.dropout < 1, "model.dropout", "must be in [0, 1)")
        check(0 < self.pkeep <= 1, "model.pkeep", "must be in (0, 1]")
        check(self.max_tokens >= 0 and self.top_k >= 0, "model.max_tokens/top_k", "must be >= 0")
        check(self.temperature > 0, "model.temperature", "must be > 0")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
