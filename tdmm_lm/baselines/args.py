"""Command-line options of ``baseline train``, shared by the CLI and ``python -m
tdmm_lm.baselines.train``. Kept free of torch so ``tdmm-lm --help`` stays fast."""

from __future__ import annotations

import argparse

from tdmm_lm.baselines.config import BaselineConfig
from tdmm_lm.errors import TdmmError

OVERRIDES = ("dataset", "out", "steps", "tokenizer")  # flags that override train.<same name>


def add_train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML in configs/baselines/")
    parser.add_argument("--dataset", help="DatasetDict folder (overrides train.dataset)")
    parser.add_argument("--out", help="run folder (overrides train.out)")
    parser.add_argument("--steps", type=int, help="override train.steps")
    parser.add_argument("--tokenizer", help="t2m-gpt: motion tokenizer folder (overrides train.tokenizer)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args, kind: str | None = None) -> BaselineConfig:
    """The config file with command-line overrides; ``kind`` (from ``baseline train KIND``)
    must agree with the file's ``kind``."""
    cfg = BaselineConfig.from_yaml(args.config)
    if kind is not None and kind != cfg.kind:
        raise TdmmError(f"{args.config}: is a {cfg.kind} config, not {kind}")
    raw = cfg.to_dict()
    for key in OVERRIDES:
        if getattr(args, key, None) is not None:
            raw["train"][key] = getattr(args, key)
    return BaselineConfig.from_dict(raw, where=args.config)
