"""Command-line options of ``llm train``, shared by the CLI and ``python -m tdmm_lm.lm.train``.
Kept free of torch so ``tdmm-lm --help`` stays fast."""

from __future__ import annotations

import argparse

from tdmm_lm.training.args import add_train_args


def add_args(parser: argparse.ArgumentParser) -> None:
    add_train_args(parser, "configs/lm/", motion_tokenizer=True)
    parser.add_argument("--base-model", help="hub id or folder of a causal LM, a .gguf file, or smollm2-135m-instruct (model.base_model)")
    parser.add_argument("--finetune", choices=("full", "lora"), help="model.finetune")
    parser.add_argument("--l2m-mode", choices=("vocab", "prefix"), help="l2m.mode")


# LM-only flags -> dotted keys (the shared ones are in training/args.py)
LM_FLAGS = {"base_model": "model.base_model", "finetune": "model.finetune", "l2m_mode": "l2m.mode"}
