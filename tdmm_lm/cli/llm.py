"""``tdmm-lm llm train|attach-l2m|merge-and-export``: the TDMM-LM language model."""

from __future__ import annotations


def register(sub) -> None:
    group = sub.add_parser("llm", help="train and export the TDMM-LM language model")
    cmds = group.add_subparsers(dest="llm_command", metavar="ACTION", required=True)

    from tdmm_lm.lm.args import add_args   # no torch: --help stays fast
    p = cmds.add_parser("train", help="train (or resume) TDMM-LM from a config "
                        "(also: accelerate launch -m tdmm_lm.lm.train --config FILE)")
    add_args(p)
    p.set_defaults(handler=train)

    p = cmds.add_parser("attach-l2m", help="join an l2m.train: lm run and an l2m.train: prefix "
                        "run into one model folder")
    p.add_argument("--lm", required=True, help="the M2L run (l2m.train: lm) or its best/")
    p.add_argument("--l2m", required=True, help="the L2M run (l2m.train: prefix) or its best/")
    p.add_argument("--out", required=True, help="folder for the joined model (replaced)")
    p.set_defaults(handler=attach_l2m)

    p = cmds.add_parser("merge-and-export", help="merge a LoRA run into full weights")
    p.add_argument("run", help="run folder (or its best/)")
    p.add_argument("--out", required=True, help="folder for the merged run")
    p.set_defaults(handler=merge_and_export)


def train(args) -> int:
    from tdmm_lm.lm.args import LM_FLAGS
    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.lm.train import train as run
    from tdmm_lm.training.args import config_from_args

    best = run(config_from_args(LMConfig, args, LM_FLAGS), progress=not args.no_progress)
    print(f"best model: {best}")
    return 0


def attach_l2m(args) -> int:
    from tdmm_lm.lm.attach import attach_l2m as run

    print(f"wrote {run(args.lm, args.l2m, args.out)}")
    return 0


def merge_and_export(args) -> int:
    from tdmm_lm.lm.export import merge_and_export as run

    out = run(args.run, args.out)
    print(f"wrote {out} (full weights; {out / 'model'} is a plain model folder)")
    return 0
