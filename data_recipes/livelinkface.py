"""A folder of Live Link Face takes plus a captions CSV -> DatasetDict.

    python data_recipes/livelinkface.py --root takes/ --captions takes/captions.csv --out datasets/mine
    python data_recipes/livelinkface.py --root takes/ --out datasets/takes --split clip   # motion only

The captions CSV has a header ``file,text[,subject]``: ``file`` is a take's path relative to
``--root`` (or its file name), ``text`` one description or several separated by ``|``, and
``subject`` the performer (needed for the default subject-disjoint split; else use --split clip).
Without ``--captions`` every take becomes motion-only rows, each take its own subject: data for
motion tokenizers (``data.datasets`` in configs/vqvae/mix.yaml), refused by the text trainers.
"""

import argparse
import sys
from pathlib import Path

from tdmm_lm.data.recipe import DatasetInfo, recipe_main
from tdmm_lm.data.recipe_args import add_output_args
from tdmm_lm.data.sources import livelinkface_rows
from tdmm_lm.motion.gaps import add_gap_args, policy_from_args


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True, help="folder with the CSV takes")
    p.add_argument("--captions", type=Path, default=None,
                   help="captions CSV (file,text[,subject]); without it the rows are motion only")
    add_output_args(p)
    add_gap_args(p)
    return p


def build_rows(args, log):
    rows = livelinkface_rows(args.root, args.captions, log, fps=args.fps,
                             gaps=policy_from_args(args))
    captioned = f"captions from {args.captions}" if args.captions else "motion only (no captions)"
    return rows, DatasetInfo(name="Live Link Face takes", license=args.license,
                             source=f"Live Link Face CSV takes under {args.root}, {captioned}.")


if __name__ == "__main__":
    sys.exit(recipe_main(build_parser, build_rows))
