"""FaceScript, the built-in synthetic corpus -> DatasetDict (same as `tdmm-lm data synth`).

    python data_recipes/synthetic.py --out datasets/facescript --num-samples 2000 --seed 0

Subject-disjoint split by default: test subjects never appear in training, so the benchmark
measures generalisation to new faces.
"""

import argparse
import sys

from tdmm_lm.data.recipe import recipe_main
from tdmm_lm.data.recipe_args import add_facescript_args, add_output_args, facescript_config
from tdmm_lm.data.sources import facescript_info, facescript_rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_facescript_args(p)
    add_output_args(p)
    return p


def build_rows(args, log):
    config = facescript_config(args)
    return facescript_rows(config, log), facescript_info(config)


if __name__ == "__main__":
    sys.exit(recipe_main(build_parser, build_rows))
