"""``tdmm-lm baseline train mdm|t2m-gpt --config FILE``: the MDM and T2M-GPT baselines.
(Generation goes through ``tdmm-lm generate --model DIR``, which reads any checkpoint.)"""

from __future__ import annotations

KINDS = ("mdm", "t2m-gpt")


def register(sub) -> None:
    group = sub.add_parser("baseline", help="train the MDM and T2M-GPT baselines")
    cmds = group.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)

    from tdmm_lm.baselines.args import add_train_args   # no torch: --help stays fast
    p = cmds.add_parser("train", help="train (or resume) a baseline from a config")
    p.add_argument("kind", choices=KINDS, help="which baseline (must match the config's kind)")
    add_train_args(p)
    p.set_defaults(handler=train)


def train(args) -> int:
    from tdmm_lm.baselines.args import config_from_args
    from tdmm_lm.baselines.train import train as run

    best = run(config_from_args(args, args.kind), progress=not args.no_progress)
    print(f"best model: {best}")
    return 0
