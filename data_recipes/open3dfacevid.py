"""Open3DFaceVid (the TDMM-LM corpus) -> DatasetDict.

    python data_recipes/open3dfacevid.py --captions o3d/captions/ --fits o3d/smirk/ --out datasets/o3d

The corpus ships videos and JSON captions; fit FLAME to the videos with SMIRK (per-video .pkl)
or SPECTRE (.npz) first and name each fit by its clip id. See ``tdmm_lm.data.sources.
open3dfacevid_rows`` for the caption JSON shapes accepted. 25 fps FLAME, split per clip by
default (the captions name no performers; pass records with "subject" and --split subject).
"""

import argparse
import sys
from pathlib import Path

from tdmm_lm.data.recipe import DatasetInfo, recipe_main
from tdmm_lm.data.recipe_args import add_output_args
from tdmm_lm.data.sources import open3dfacevid_rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--captions", type=Path, required=True, help="a JSON file or folder of them")
    p.add_argument("--fits", type=Path, required=True, help="folder of SMIRK .pkl / SPECTRE .npz")
    add_output_args(p, default_split="clip")
    return p


def build_rows(args, log):
    rows = open3dfacevid_rows(args.captions, args.fits, log, fps=args.fps)
    return rows, DatasetInfo(
        name="Open3DFaceVid (FLAME fits)", license=args.license,
        source="Open3DFaceVid (Song et al. 2026, arXiv 2603.16936): synthetic facial videos with "
               "captions; FLAME parameters fitted per clip with SMIRK or SPECTRE.")


if __name__ == "__main__":
    sys.exit(recipe_main(build_parser, build_rows))
