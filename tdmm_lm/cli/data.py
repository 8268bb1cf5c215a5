"""``tdmm-lm data synth|inspect``."""

from __future__ import annotations

import json

from tdmm_lm.data.recipe_args import add_facescript_args, add_output_args, facescript_config


def register(sub) -> None:
    group = sub.add_parser("data", help="build and inspect datasets")
    cmds = group.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p = cmds.add_parser("synth", help="generate the FaceScript synthetic corpus as a DatasetDict")
    add_facescript_args(p)
    add_output_args(p)
    p.set_defaults(handler=synth)

    p = cmds.add_parser("inspect", help="splits, counts, durations, subjects of a saved dataset")
    p.add_argument("path", help="folder written by a recipe or `data synth`")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=inspect)


def synth(args) -> int:
    from tdmm_lm.data.recipe import SkipLog, run_recipe
    from tdmm_lm.data.sources import facescript_info, facescript_rows

    config = facescript_config(args)
    log = SkipLog(strict=args.strict)
    info = facescript_info(config)
    info.command = (f"tdmm-lm data synth --out {args.out} --num-samples {args.num_samples} "
                    f"--seed {args.seed} --format {args.format}")
    run_recipe(args, facescript_rows(config, log), info, log)
    return 0


def inspect(args) -> int:
    from tdmm_lm.data.card import dataset_summary, format_dataset_summary
    from tdmm_lm.data.schema import load_dataset_dict

    summary = dataset_summary(load_dataset_dict(args.path))
    print(json.dumps(summary, indent=2) if args.json else format_dataset_summary(summary))
    return 0
