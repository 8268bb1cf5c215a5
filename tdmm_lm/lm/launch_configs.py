"""Checks of the shipped launcher settings, read by the libraries that use them:
``configs/accelerate/*.yaml`` through accelerate's own ``ClusterConfig`` and
``configs/deepspeed/*.json`` through transformers' ``HfDeepSpeedConfig``.

    AccelerateLaunchConfig.from_yaml("configs/accelerate/zero2.yaml")   # TdmmError when broken
    DeepSpeedSettings.from_json("configs/deepspeed/zero2.json")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tdmm_lm.errors import TdmmError

# the keys `accelerate launch` reads to decide how many processes of what kind to start
ACCELERATE_KEYS = ("compute_environment", "distributed_type", "num_machines", "num_processes",
                   "mixed_precision")
# train.py fills these from the run config (no dataloader goes through accelerate.prepare)
FILLED_BY_TRAINER = ("train_micro_batch_size_per_gpu", "train_batch_size")


@dataclass
class DeepSpeedSettings:
    path: Path
    stage: int
    offload: bool

    @classmethod
    def from_json(cls, path: str | Path) -> DeepSpeedSettings:
        from transformers.integrations import HfDeepSpeedConfig

        path = Path(path)
        try:
            raw = json.loads(path.read_text())
            hf = HfDeepSpeedConfig(raw)
        except (OSError, ValueError) as e:
            raise TdmmError(f"{path}: not a readable DeepSpeed JSON config ({e})") from None
        stage = hf.get_value("zero_optimization.stage")
        if stage not in (0, 1, 2, 3):
            raise TdmmError(f"{path}: zero_optimization.stage must be 0-3, got {stage!r}")
        missing = [k for k in FILLED_BY_TRAINER if k not in raw]
        if missing:
            raise TdmmError(f"{path}: add {missing} (\"auto\": the trainer fills them)")
        return cls(path, int(stage), bool(hf.is_offload()))


@dataclass
class AccelerateLaunchConfig:
    path: Path
    distributed_type: str
    num_processes: int
    deepspeed: DeepSpeedSettings | None

    @classmethod
    def from_yaml(cls, path: str | Path) -> AccelerateLaunchConfig:
        import yaml
        from accelerate.commands.config.config_args import ClusterConfig

        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text()) or {}
            cluster = ClusterConfig.from_yaml_file(str(path))
        except (OSError, ValueError, TypeError, yaml.YAMLError) as e:
            raise TdmmError(f"{path}: not an accelerate config ({str(e).splitlines()[0]})") from None
        missing = [k for k in ACCELERATE_KEYS if k not in raw]
        if missing:
            raise TdmmError(f"{path}: missing accelerate keys {missing}")
        ds = None
        kind = str(cluster.distributed_type).rsplit(".", 1)[-1]
        if kind == "DEEPSPEED":
            file = (cluster.deepspeed_config or {}).get("deepspeed_config_file")
            if not file:
                raise TdmmError(f"{path}: DEEPSPEED needs deepspeed_config.deepspeed_config_file")
            root = path.resolve().parents[2]   # paths in configs/ are relative to the repo root
            ds = DeepSpeedSettings.from_json(root / file)
        return cls(path, kind, int(cluster.num_processes), ds)
