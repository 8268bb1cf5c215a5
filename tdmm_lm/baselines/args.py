"""Command-line options of ``baseline train``, shared by the CLI and ``python -m
tdmm_lm.baselines.train``. Kept free of torch so ``tdmm-lm --help`` stays fast."""

from __future__ import annotations

import argparse

from tdmm_lm.training.args import add_train_args


def add_args(parser: argparse.ArgumentParser) -> None:
    add_train_args(parser, "configs/baselines/", motion_tokenizer=True)
