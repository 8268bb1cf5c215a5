"""Command-line options of ``llm train``, shared by the CLI and ``python -m tdmm_lm.lm.train``.

Kept free of torch so ``tdmm-lm --help`` stays fast.
"""

from __future__ import annotations

import argparse

# flag -> dotted config key
OVERRIDES = {"dataset": "data.dataset", "motion_tokenizer": "data.motion_tokenizer",
             "base_model": "model.base_model", "finetune": "model.finetune",
             "l2m_mode": "l2m.mode", "out": "train.out", "steps": "train.steps",
             "max_minutes": "train.max_minutes"}


def add_train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML in configs/lm/")
    parser.add_argument("--dataset", help="tokenized DatasetDict folder (overrides data.dataset)")
    parser.add_argument("--motion-tokenizer", help="motion tokenizer folder (data.motion_tokenizer)")
    parser.add_argument("--base-model", help="hub id or folder of a causal LM (model.base_model)")
    parser.add_argument("--finetune", choices=("full", "lora"), help="model.finetune")
    parser.add_argument("--l2m-mode", choices=("vocab", "prefix"), help="l2m.mode")
    parser.add_argument("--out", help="run folder (train.out)")
    parser.add_argument("--steps", type=int, help="train.steps")
    parser.add_argument("--max-minutes", type=float, help="train.max_minutes (0: no limit)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args):
    from tdmm_lm.lm.config import LMConfig

    cfg = LMConfig.from_yaml(args.config)
    return cfg.override(**{key: getattr(args, flag, None) for flag, key in OVERRIDES.items()})
