"""``tdmm-lm describe MOTION --model DIR [--question Q]``: Motion2Language."""

from __future__ import annotations

from tdmm_lm.errors import TdmmError


def register(sub) -> None:
    p = sub.add_parser("describe", help="describe a motion file, or answer a question about it")
    p.add_argument("motion", help="Live Link Face CSV, FLAME or motion .npz")
    p.add_argument("--model", required=True, help="TDMM-LM run folder or hub repo id")
    p.add_argument("--question", help="ask this instead of asking for a description")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="torch device (default: CPU)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.device import check_device
    from tdmm_lm.lm.tdmmlm import TDMMLM
    from tdmm_lm.motion import load

    if args.question is not None and not args.question.strip():
        raise TdmmError("--question is empty; ask something, or drop --question to get a "
                        "description")
    motion = load(args.motion)            # fail on a bad file before loading the model
    lm = TDMMLM.from_pretrained(args.model, device=check_device(args.device))
    if args.question is not None:
        print(lm.answer(motion, args.question, seed=args.seed))
    else:
        print(lm.describe([motion], seed=args.seed)[0])
    return 0
