"""``tdmm-lm baseline train mdm|t2m-gpt --config FILE``: the MDM and T2M-GPT baselines.
(Generation goes through ``tdmm-lm generate --model DIR``, which reads any checkpoint.)"""

from __future__ import annotations


def register(sub) -> None:
    group = sub.add_parser("baseline", help="train the MDM and T2M-GPT baselines")
    cmds = group.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)

    from tdmm_lm.baselines.args import add_args   # no torch: --help stays fast
    from tdmm_lm.baselines.registry import BASELINES
    p = cmds.add_parser("train", help="train (or resume) a baseline from a config")
    p.add_argument("kind", choices=tuple(BASELINES), help="which baseline (must match the config's kind)")
    add_args(p)
    p.set_defaults(handler=train)


def train(args) -> int:
    from tdmm_lm.baselines.config import BaselineConfig
    from tdmm_lm.baselines.train import train as run
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.training.args import config_from_args

    cfg = config_from_args(BaselineConfig, args)
    if cfg.kind != args.kind:
        raise TdmmError(f"{args.config}: is a {cfg.kind} config, not {args.kind}")
    best = run(cfg, progress=not args.no_progress)
    print(f"best model: {best}")
    return 0
