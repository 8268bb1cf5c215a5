"""Command-line options of ``vq train``, shared by the CLI and ``python -m tdmm_lm.vqvae.train``.

Kept free of torch so ``tdmm-lm --help`` stays fast.
"""

from __future__ import annotations

import argparse

from tdmm_lm.vqvae.config import VQConfig


def add_train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML in configs/vqvae/")
    parser.add_argument("--dataset", help="DatasetDict folder (overrides train.dataset)")
    parser.add_argument("--out", help="run folder (overrides train.out)")
    parser.add_argument("--steps", type=int, help="override train.steps")
    parser.add_argument("--rig", help="ARKit rig .npz for the vertex loss and validation "
                        "(default: $TDMM_ARKIT_RIG, the user cache, else the procedural rig)")
    parser.add_argument("--flame-model", help="FLAME model folder (flame datasets; see geometry/flame.py)")


def config_from_args(args) -> VQConfig:
    cfg = VQConfig.from_yaml(args.config)
    raw = cfg.to_dict()
    for key in ("dataset", "out", "steps"):
        if getattr(args, key, None) is not None:
            raw["train"][key] = getattr(args, key)
    return VQConfig.from_dict(raw, where=args.config)

