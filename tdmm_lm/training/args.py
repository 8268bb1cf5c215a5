"""The command-line options every trainer shares: ``--config``, ``--set key=value`` and the
shorthands for the keys users change most. Kept free of torch so ``tdmm-lm --help`` stays fast.

    tdmm-lm vq train --config configs/vqvae/tiny.yaml --set train.steps=200 --set train.lr=5e-4
"""

from __future__ import annotations

import argparse

# flag -> dotted config key; the same artifact has the same name in every config
SHORTHANDS = {"dataset": "data.dataset", "motion_tokenizer": "data.motion_tokenizer",
              "out": "train.out", "steps": "train.steps", "max_minutes": "train.max_minutes"}


def add_train_args(parser: argparse.ArgumentParser, config_folder: str, *,
                   motion_tokenizer: bool = False) -> None:
    parser.add_argument("--config", required=True, help=f"YAML in {config_folder}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key (dotted, value read as YAML); repeatable")
    parser.add_argument("--dataset", help="DatasetDict folder (data.dataset)")
    if motion_tokenizer:
        parser.add_argument("--motion-tokenizer", help="motion tokenizer: folder, run or Hub id "
                            "(data.motion_tokenizer)")
    parser.add_argument("--out", help="run folder (train.out)")
    parser.add_argument("--steps", type=int, help="optimizer updates (train.steps)")
    parser.add_argument("--max-minutes", type=float, help="training time limit (train.max_minutes; 0: none)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(cls, args, flags: dict[str, str] | None = None):
    """``cls`` from ``args.config`` with the shorthand flags (``SHORTHANDS`` plus a trainer's own
    ``flags``), then ``--set`` overrides, applied (a ``--set`` of the same key wins)."""
    from tdmm_lm.yaml_config import load_config, parse_overrides

    overrides = {key: getattr(args, flag) for flag, key in {**SHORTHANDS, **(flags or {})}.items()
                 if getattr(args, flag, None) is not None}
    overrides.update(parse_overrides(args.set, f"{args.config} (--set)"))
    return load_config(cls, args.config, overrides)
