"""The baseline run configuration: which model (``kind``), its settings, the text encoder and
the shared training section, as typed dataclasses loaded from YAML and validated.

    cfg = BaselineConfig.from_yaml("configs/baselines/mdm_tiny.yaml")   # errors name file and key
    cfg.save_yaml(out / "config.yaml")                                  # resolved, beside checkpoints
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from tdmm_lm.baselines.mdm.configuration import MDMConfig
from tdmm_lm.baselines.registry import BASELINES
from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
from tdmm_lm.errors import TdmmError
from tdmm_lm.training.config import TrainSection
from tdmm_lm.yaml_config import ConfigMixin, check

MODEL_CONFIGS = {kind: b.config for kind, b in BASELINES.items()}


@dataclass
class DataSection:
    dataset: str = ""            # DatasetDict folder (save_to_disk); --dataset overrides
    motion_tokenizer: str = ""   # t2m-gpt: the motion tokenizer that wrote the dataset's codes
    max_val_samples: int = 256   # validation clips per pass (speed)
    # extra prompts per FaceScript training clip in WordNet's wider words (the LM's data.reworded)
    reworded: int = 0

    def validate(self) -> None:
        check(self.max_val_samples >= 1, "data.max_val_samples", "must be >= 1")
        check(self.reworded >= 0, "data.reworded", "must be >= 0 (0: off)")


@dataclass
class BaselineConfig(ConfigMixin):
    kind: str = "mdm"            # "mdm" | "t2m-gpt"
    text_encoder: str = "minilm"  # "minilm" (packaged, offline) or a hub id / folder (HF encoder or CLIP)
    model: Union[MDMConfig, T2MGPTConfig, None] = None  # the kind's settings; None = its defaults
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=lambda: TrainSection(out="runs/baseline"))

    def __post_init__(self) -> None:
        check(self.kind in MODEL_CONFIGS, "kind", f"must be one of {sorted(MODEL_CONFIGS)}")
        if self.model is None:
            self.model = MODEL_CONFIGS[self.kind]()
        check(isinstance(self.model, MODEL_CONFIGS[self.kind]), "model",
              f"must be a {MODEL_CONFIGS[self.kind].__name__} for kind {self.kind!r}")
        check(bool(self.text_encoder), "text_encoder", "must name an encoder ('minilm')")
        self.model.validate()
        self.data.validate()
        self.train.validate()

    @classmethod
    def field_type(cls, name: str, raw: dict) -> Any:
        """The ``model`` section is the settings of the config's ``kind``."""
        if name == "model":
            kind = raw.get("kind", "mdm")
            if kind not in MODEL_CONFIGS:
                raise TdmmError(f"kind must be one of {sorted(MODEL_CONFIGS)}, got {kind!r}")
            return Optional[MODEL_CONFIGS[kind]]
        return typing.get_type_hints(cls)[name]
