"""BEAT2 (SMPL-X + FLAME fits of talking people) -> a motion-only DatasetDict in ``flame`` format.

    python data_recipes/beat2.py --root /data/BEAT2 --out datasets/beat2
    python data_recipes/beat2.py --root /data/BEAT2 --out datasets/beat2_25fps --fps 25

Reads ``beat_english_v2.0.0/smplxflame_30/<clip>.npz`` (100 FLAME expressions, jaw, head = neck
then head joint, both eyes; 30 fps) and the word transcript beside it
(``beat_english_v2.0.0/textgrid/<clip>.TextGrid``). The speaker is the clip name's prefix
(``2_scott_0_1_1`` -> ``2_scott``) and the split is speaker-disjoint. Rows carry no description
(``texts`` is empty: the transcript is speech, kept in ``attributes.transcript``), so the dataset
trains motion tokenizers; the LM and baselines refuse it until it is captioned.
"""

import argparse
import sys
from pathlib import Path

from tdmm_lm.data.recipe import DatasetInfo, recipe_main
from tdmm_lm.data.recipe_args import add_output_args
from tdmm_lm.data.sources import beat2_rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True,
                   help="BEAT2 folder (holds beat_english_v2.0.0/smplxflame_30/)")
    add_output_args(p)
    return p


def build_rows(args, log):
    rows = beat2_rows(args.root, log, fps=args.fps)
    return rows, DatasetInfo(
        name="BEAT2 (SMPL-X + FLAME)", license=args.license,
        source="BEAT2 (Liu et al. 2024, EMAGE, arXiv 2401.00374): speakers talking, fitted with "
               "SMPL-X whose face is FLAME; 100 expression coefficients, jaw, head (neck then head "
               "joint) and eyes per frame. Motion only: word transcripts are kept in "
               "attributes.transcript, not as descriptions. Check BEAT2's own licence terms "
               "before you publish derived data.")


if __name__ == "__main__":
    sys.exit(recipe_main(build_parser, build_rows))
