"""The baseline run configuration: which model (``kind``), its settings, the text encoder and
the training loop, as typed dataclasses loaded from YAML and validated.

    cfg = BaselineConfig.from_yaml("configs/baselines/mdm_tiny.yaml")   # TdmmError names file and field
    cfg.save_yaml(out / "config.yaml")                                  # resolved, beside checkpoints
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Union

from tdmm_lm.baselines.mdm.configuration import MDMConfig
from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
from tdmm_lm.errors import TdmmError
from tdmm_lm.vqvae.config import VQConfig, _check, _coerce

MODEL_CONFIGS = {"mdm": MDMConfig, "t2m-gpt": T2MGPTConfig}


@dataclass
class TrainConfig:
    dataset: str = ""            # DatasetDict folder (save_to_disk); --dataset overrides
    out: str = "runs/baseline"   # run folder; --out overrides
    tokenizer: str = ""          # t2m-gpt: the motion tokenizer that wrote the dataset's codes
    batch_size: int = 64
    steps: int = 10000
    time_limit_minutes: float = 0.0  # stop (validate, save) after this much training; 0 = off
    lr: float = 1e-4
    warmup_steps: int = 100      # linear warm-up, then cosine decay to lr * min_lr_ratio
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema_decay: float = 0.0       # EMA of the weights, saved as the model (MDM: 0.9999); 0 = off
    seed: int = 0
    eval_every: int = 500        # steps between validation passes (best/ kept by validation loss)
    checkpoint_every: int = 500  # steps between resumable checkpoints (last/)
    max_val_samples: int = 256   # validation clips per pass (speed)
    num_threads: int = 0         # torch CPU threads; 0 = torch default
    mixed_precision: str = "no"  # accelerate: "no" | "bf16" | "fp16"

    def validate(self) -> None:
        for name in ("batch_size", "steps", "eval_every", "checkpoint_every", "max_val_samples"):
            _check(getattr(self, name) >= 1, f"train.{name}", "must be >= 1")
        _check(self.lr > 0, "train.lr", "must be > 0")
        _check(0 <= self.min_lr_ratio <= 1, "train.min_lr_ratio", "must be in [0, 1]")
        _check(0 <= self.ema_decay < 1, "train.ema_decay", "must be in [0, 1)")
        for name in ("warmup_steps", "num_threads", "weight_decay", "grad_clip", "time_limit_minutes"):
            _check(getattr(self, name) >= 0, f"train.{name}", "must be >= 0")
        _check(self.mixed_precision in ("no", "bf16", "fp16"), "train.mixed_precision",
               "must be 'no', 'bf16' or 'fp16'")


@dataclass
class BaselineConfig:
    kind: str = "mdm"            # "mdm" | "t2m-gpt"
    text_encoder: str = "minilm"  # "minilm" (packaged, offline) or a hub id / folder (HF encoder or CLIP)
    model: Union[MDMConfig, T2MGPTConfig, None] = None  # the kind's settings; None = its defaults
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _check(self.kind in MODEL_CONFIGS, "kind", f"must be one of {sorted(MODEL_CONFIGS)}")
        if self.model is None:
            self.model = MODEL_CONFIGS[self.kind]()
        _check(isinstance(self.model, MODEL_CONFIGS[self.kind]), "model",
               f"must be a {MODEL_CONFIGS[self.kind].__name__} for kind {self.kind!r}")
        _check(bool(self.text_encoder), "text_encoder", "must name an encoder ('minilm')")
        self.model.validate()
        self.train.validate()

    # ---- (de)serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "config") -> BaselineConfig:
        """Build from a nested dict; unknown keys are errors naming ``where``."""
        if not isinstance(raw, dict):
            raise TdmmError(f"{where}: expected a mapping with kind/text_encoder/model/train")
        unknown = set(raw) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TdmmError(f"{where}: unknown field(s) {sorted(unknown)}")
        kind = raw.get("kind", "mdm")
        if kind not in MODEL_CONFIGS:
            raise TdmmError(f"{where}: kind must be one of {sorted(MODEL_CONFIGS)}, got {kind!r}")
        try:
            return cls(kind=kind, text_encoder=raw.get("text_encoder", "minilm"),
                       model=_section(MODEL_CONFIGS[kind], raw.get("model"), "model", where),
                       train=_section(TrainConfig, raw.get("train"), "train", where))
        except TdmmError as e:
            raise TdmmError(f"{where}: {e}") from None

    # the same YAML reading (one-line errors) and writing as the tokenizer's config
    from_yaml = classmethod(VQConfig.from_yaml.__func__)
    save_yaml = VQConfig.save_yaml


def _section(kind, section: dict | None, name: str, where: str):
    """Dataclass ``kind`` from a YAML mapping, with the numeric coercions of the VQ config."""
    section = section or {}
    if not isinstance(section, dict):
        raise TdmmError(f"{where}: section {name} must be a mapping")
    fields = dataclasses.fields(kind)
    bad = set(section) - {f.name for f in fields}
    if bad:
        raise TdmmError(f"{where}: unknown field(s) {sorted(f'{name}.{b}' for b in bad)}")
    try:
        return kind(**{k: _coerce(v, fields, k) for k, v in section.items()})
    except (TypeError, ValueError) as e:
        raise TdmmError(f"{where}: section {name}: {e}") from None
