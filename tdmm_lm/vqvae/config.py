"""The VQ-VAE configuration: one typed dataclass, validated, loaded from / saved to YAML.

    cfg = VQConfig.from_yaml("configs/vqvae/tiny.yaml")     # TdmmError names file and field
    cfg.save_yaml(out / "config.yaml")                      # the resolved config, beside checkpoints
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tdmm_lm.errors import TdmmError
from tdmm_lm.yaml_config import read_yaml


@dataclass
class ModelConfig:
    """The network (T2M-GPT's conv VQ-VAE: strided stages + dilated residual blocks)."""

    downsample: int = 4          # frames per token: 1 (TDMM-LM paper), 2 or 4 (T2M-GPT)
    width: int = 128             # conv channels
    depth: int = 3               # residual blocks per stage (dilations 9, 3, 1 for depth 3)
    dilation_growth: int = 3
    codebook_size: int = 512     # K codes per quantiser level
    code_dim: int = 128          # C, the dimension of one code vector
    levels: int = 1              # residual-VQ quantisers; 1 = plain VQ
    quantizer_dropout: float = 0.0   # P(train with a random prefix of levels), residual VQ only
    ema_decay: float = 0.99      # codebook EMA (T2M-GPT: 0.99)
    dead_code_threshold: float = 1.0  # EMA usage below this → code reset to a batch vector

    def validate(self) -> None:
        _check(self.downsample in (1, 2, 4, 8), "model.downsample", "must be 1, 2, 4 or 8")
        for name in ("width", "depth", "codebook_size", "code_dim", "levels", "dilation_growth"):
            _check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        _check(0.0 <= self.quantizer_dropout < 1.0, "model.quantizer_dropout", "must be in [0, 1)")
        _check(0.0 < self.ema_decay < 1.0, "model.ema_decay", "must be in (0, 1)")
        _check(self.dead_code_threshold >= 0, "model.dead_code_threshold", "must be >= 0")


@dataclass
class LossConfig:
    """Weights of the training loss terms (see losses.py); 0 switches a term off."""

    vertex: float = 0.1          # L1 on rig vertices in mm (0 = the "no geometry" ablation)
    vertex_subset: int = 800     # vertices the loss looks at (speed); sampled by motion range
    vertex_sampling: str = "influence"   # "influence" (∝ how far blendshapes move a vertex) | "uniform"
    param: float = 1.0           # weight of the normalised-parameter term
    # "mse" | "smooth_l1": faces rest most of the time, and an L1-like loss on a mostly-at-rest
    # channel is minimised by its median (rest), so smooth-L1 flattens blinks and brow raises
    param_loss: str = "mse"
    velocity: float = 0.5        # smooth-L1 on frame-to-frame differences (T2M-GPT's 0.5 aux)
    commitment: float = 0.02     # encoder → code commitment (T2M-GPT: 0.02)

    def validate(self) -> None:
        for name in ("vertex", "param", "velocity", "commitment"):
            _check(getattr(self, name) >= 0, f"loss.{name}", "must be >= 0")
        _check(self.vertex_subset >= 1, "loss.vertex_subset", "must be >= 1")
        _check(self.vertex_sampling in ("influence", "uniform"), "loss.vertex_sampling",
               "must be 'influence' or 'uniform'")
        _check(self.vertex + self.param > 0, "loss.vertex/param", "one must be > 0")
        _check(self.param_loss in ("mse", "smooth_l1"), "loss.param_loss",
               "must be 'mse' or 'smooth_l1'")


@dataclass
class TrainConfig:
    dataset: str = ""            # DatasetDict folder (save_to_disk); --dataset overrides
    out: str = "runs/vqvae"      # run folder; --out overrides
    fps: float = 0.0             # tokenizer frame rate; 0 = the training split's fps
    window: int = 64             # frames per training crop (T2M-GPT: 64)
    batch_size: int = 64
    steps: int = 2000
    lr: float = 1e-3
    warmup_steps: int = 100      # linear warm-up, then cosine decay to lr * min_lr_ratio
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    seed: int = 0
    eval_every: int = 250        # steps between validation passes (best kept by vertex error)
    checkpoint_every: int = 250  # steps between resumable checkpoints (last/)
    max_val_samples: int = 200   # validation clips per pass (speed)
    num_threads: int = 0         # torch CPU threads; 0 = torch default
    mixed_precision: str = "no"  # accelerate: "no" | "bf16" | "fp16"

    def validate(self) -> None:
        for name in ("window", "batch_size", "steps", "eval_every", "checkpoint_every",
                     "max_val_samples"):
            _check(getattr(self, name) >= 1, f"train.{name}", "must be >= 1")
        _check(self.fps >= 0, "train.fps", "must be >= 0 (0 = the dataset's fps)")
        _check(self.lr > 0, "train.lr", "must be > 0")
        _check(0 <= self.min_lr_ratio <= 1, "train.min_lr_ratio", "must be in [0, 1]")
        _check(self.warmup_steps >= 0 and self.num_threads >= 0, "train.warmup_steps/num_threads",
               "must be >= 0")
        _check(self.mixed_precision in ("no", "bf16", "fp16"), "train.mixed_precision",
               "must be 'no', 'bf16' or 'fp16'")


@dataclass
class VQConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        self.model.validate()
        self.loss.validate()
        self.train.validate()
        _check(self.train.window % self.model.downsample == 0, "train.window",
               f"must be a multiple of model.downsample ({self.model.downsample})")

    # ---- (de)serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "config") -> VQConfig:
        """Build from nested dicts; unknown sections or keys are errors naming ``where``."""
        if not isinstance(raw, dict):
            raise TdmmError(f"{where}: expected a mapping with model/loss/train sections")
        parts = {"model": ModelConfig, "loss": LossConfig, "train": TrainConfig}
        unknown = set(raw) - set(parts)
        if unknown:
            raise TdmmError(f"{where}: unknown section(s) {sorted(unknown)}; use {sorted(parts)}")
        built = {}
        for name, kind in parts.items():
            section = raw.get(name) or {}
            known = {f.name: f.type for f in dataclasses.fields(kind)}
            bad = set(section) - set(known)
            if bad:
                raise TdmmError(f"{where}: unknown field(s) {sorted(f'{name}.{b}' for b in bad)}")
            try:
                built[name] = kind(**{k: _coerce(v, dataclasses.fields(kind), k)
                                      for k, v in section.items()})
            except (TypeError, ValueError) as e:
                raise TdmmError(f"{where}: section {name}: {e}") from None
        try:
            return cls(**built)
        except TdmmError as e:
            raise TdmmError(f"{where}: {e}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> VQConfig:
        return cls.from_dict(read_yaml(path), where=str(path))

    def save_yaml(self, path: str | Path) -> None:
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))


def _coerce(value: Any, fields, name: str) -> Any:
    """YAML gives ints for floats (``lr: 1``) and floats like 1e-3 as strings; fix both."""
    kind = {f.name: f.type for f in fields}[name]
    if kind in ("float", float) and isinstance(value, (int, str)) and not isinstance(value, bool):
        return float(value)
    if kind in ("int", int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in ("int", int) and not isinstance(value, int) or isinstance(value, bool) and kind != "bool":
        raise ValueError(f"field {name!r} must be an integer, got {value!r}")
    return value


def _check(ok: bool, field_name: str, problem: str) -> None:
    if not ok:
        raise TdmmError(f"{field_name} {problem}")
