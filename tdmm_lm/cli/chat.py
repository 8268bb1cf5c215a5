"""``tdmm-lm chat --model DIR [--motion FILE]``: talk about facial motion in the terminal."""

from __future__ import annotations

from tdmm_lm.cli.options import add_rig_arg


def add_model_args(p) -> None:
    """The flags ``chat`` and ``serve`` share: the model, the seed and how to render."""
    p.add_argument("--model", required=True, help="TDMM-LM run folder or Hub repo id")
    p.add_argument("--seed", type=int, default=0, help="sampling seed for every answer (default 0)")
    p.add_argument("--device", default=None, help="torch device (default: cpu)")
    add_rig_arg(p)
    p.add_argument("--flame-model", default=None, help="FLAME model folder, to render FLAME motion")


def register(sub) -> None:
    p = sub.add_parser("chat", help="terminal chat: load a take, ask about it, generate motion")
    add_model_args(p)
    p.add_argument("--motion", default=None, help="a motion file to start the conversation with")
    p.set_defaults(handler=run)


def conversation_from_args(args):
    from tdmm_lm.app.session import Conversation, load_model
    from tdmm_lm.device import check_device

    model = load_model(args.model, device=check_device(args.device))
    return Conversation(model, seed=args.seed, rig=args.rig, flame_model=args.flame_model)


def run(args) -> int:
    from tdmm_lm.app.chat import chat

    conv = conversation_from_args(args)
    if args.motion:
        conv.load(args.motion)
    return chat(conv, debug=args.debug)
