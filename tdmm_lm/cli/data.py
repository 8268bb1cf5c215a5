"""``tdmm-lm data synth|inspect|autocaption``."""

from __future__ import annotations

import json

from tdmm_lm.data.recipe_args import add_facescript_args, add_output_args, facescript_config
from tdmm_lm.motion.gaps import add_gap_args, policy_from_args


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

    p = cmds.add_parser("autocaption", help="cut unlabeled takes into clips of activity and caption "
                        "them automatically (rule-based detectors; texts marked as automatic)")
    p.add_argument("takes", help="folder of takes (Live Link Face .csv or arkit61 .npz)")
    p.add_argument("--min-seconds", type=float, default=2.0, help="shortest clip (default 2)")
    p.add_argument("--max-seconds", type=float, default=8.0, help="longest clip (default 8)")
    p.add_argument("--subject", default=None,
                   help="performer of every take (default: each take is its own subject)")
    add_output_args(p)
    add_gap_args(p)
    p.set_defaults(handler=autocaption)


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


def autocaption(args) -> int:
    from pathlib import Path

    from tdmm_lm.benchmark.autocaption import autocaption_info, autocaption_rows
    from tdmm_lm.data.recipe import SkipLog, run_recipe
    from tdmm_lm.errors import TdmmError

    if not 0 < args.min_seconds <= args.max_seconds:
        raise TdmmError("--min-seconds must be > 0 and at most --max-seconds")
    takes = Path(args.takes)
    if not takes.is_dir():
        raise TdmmError(f"{takes}: not a folder of takes")
    log = SkipLog(strict=args.strict)
    info = autocaption_info(takes)
    info.license = args.license
    info.command = (f"tdmm-lm data autocaption {takes} --out {args.out} --min-seconds "
                    f"{args.min_seconds:g} --max-seconds {args.max_seconds:g}")
    rows = autocaption_rows(takes, log, min_seconds=args.min_seconds,
                            max_seconds=args.max_seconds, subject=args.subject, fps=args.fps,
                            gaps=policy_from_args(args))
    run_recipe(args, rows, info, log)
    return 0
