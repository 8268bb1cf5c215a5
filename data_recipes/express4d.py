"""Express4D (Aloni et al. 2025) -> DatasetDict.

    python data_recipes/express4d.py --root /data/Express4D --out datasets/express4d

Reads ``MySlate_<N>_iPhone_cal.csv`` takes (Live Link Face CSV, 60 fps) and captions from
``texts_plain.txt`` (caption N on line N). The release names no performers, so the default split
is seeded per clip (like the paper's random 80/20, but seeded and with a validation split).
"""

import argparse
import sys
from pathlib import Path

from tdmm_lm.data.recipe import DatasetInfo, recipe_main
from tdmm_lm.data.recipe_args import add_output_args
from tdmm_lm.data.sources import express4d_rows
from tdmm_lm.motion.gaps import add_gap_args, policy_from_args


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True, help="folder with the CSV takes")
    p.add_argument("--captions", type=Path, default=None,
                   help="texts_plain.txt (default: found under --root)")
    add_output_args(p, default_split="clip")
    add_gap_args(p)
    return p


def build_rows(args, log):
    rows = express4d_rows(args.root, log, fps=args.fps, captions=args.captions,
                          gaps=policy_from_args(args))
    return rows, DatasetInfo(
        name="Express4D", license=args.license,
        source="Express4D (Aloni et al. 2025, arXiv 2508.12438): ARKit blendshape takes recorded "
               "with Live Link Face, one free-text instruction per take.")


if __name__ == "__main__":
    sys.exit(recipe_main(build_parser, build_rows))
