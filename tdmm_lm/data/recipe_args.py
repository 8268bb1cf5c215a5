"""Command-line flags shared by ``tdmm-lm data`` and the scripts in ``data_recipes/``.

Kept free of heavy imports so that building the CLI parser stays fast.
"""

from __future__ import annotations

import argparse


def add_output_args(parser, *, default_split: str = "subject") -> None:
    """The flags every recipe shares: output, split, fps, overwrite, strictness, Hub push."""
    parser.add_argument("--out", required=True, help="folder for the DatasetDict (save_to_disk)")
    parser.add_argument("--split", choices=("subject", "clip"), default=default_split,
                        help=f"subject-disjoint or seeded per-clip split (default {default_split})")
    parser.add_argument("--val-ratio", type=float, default=0.1)
    parser.add_argument("--test-ratio", type=float, default=0.1)
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=None, help="resample every motion to this rate")
    parser.add_argument("--license", default="other", help="license field of the dataset card")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset folder")
    parser.add_argument("--strict", action="store_true", help="stop at the first bad input")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None)
    parser.add_argument("--private", action="store_true", help="with --push-to-hub")


def add_facescript_args(parser) -> None:
    """FaceScript's flags, shared by ``tdmm-lm data synth`` and ``data_recipes/synthetic.py``."""
    parser.add_argument("--num-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("arkit61", "flame"), default="arkit61")
    parser.add_argument("--num-subjects", type=int, default=40)
    parser.add_argument("--realism", action=argparse.BooleanOptionalAction, default=None,
                        help="curves that look captured (resting offsets, co-activation, gaze, "
                             "real-level noise); default: FaceScriptConfig.realism")


def facescript_config(args):
    """A ``FaceScriptConfig`` from parsed flags (``--fps`` is the generation rate)."""
    from tdmm_lm.data.synthetic import FaceScriptConfig
    realism = {} if getattr(args, "realism", None) is None else {"realism": args.realism}
    return FaceScriptConfig(num_samples=args.num_samples, seed=args.seed, format=args.format,
                            fps=args.fps, num_subjects=args.num_subjects, **realism)
