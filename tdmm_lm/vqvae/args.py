"""Command-line options of ``vq train``, shared by the CLI and ``python -m tdmm_lm.vqvae.train``.
Kept free of torch so ``tdmm-lm --help`` stays fast."""

from __future__ import annotations

import argparse

from tdmm_lm.training.args import add_train_args


def add_args(parser: argparse.ArgumentParser) -> None:
    add_train_args(parser, "configs/vqvae/")
    parser.add_argument("--rig", help="ARKit rig .npz for the vertex loss and validation "
                        "(default: $TDMM_ARKIT_RIG, the user cache, else the packaged face)")
    parser.add_argument("--flame-model", help="FLAME model folder (flame datasets; see geometry/flame.py)")
