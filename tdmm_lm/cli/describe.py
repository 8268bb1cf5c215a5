"""``tdmm-lm describe MOTION --model DIR [--question Q] [--calibrate] [--gaps ...]``: Motion2Language.
A take that ``--gaps split`` cuts into pieces gets one answer per piece; a motion longer than the
model reads at once (``generation.max_seconds``), one line per window (``TDMMLM.describe``)."""

from __future__ import annotations

from tdmm_lm.errors import TdmmError


def register(sub) -> None:
    p = sub.add_parser("describe", help="describe a motion file, or answer a question about it")
    p.add_argument("motion", help="Live Link Face CSV, FLAME or motion .npz")
    p.add_argument("--model", required=True, help="TDMM-LM run folder or hub repo id")
    p.add_argument("--question", help="ask this instead of asking for a description")
    p.add_argument("--calibrate", action="store_true",
                   help="read an ARKit take relative to its resting face (each channel's median "
                        "over the file), like Live Link Face's neutral-pose calibration: for real "
                        "takes whose face rests away from 0; not for a short clip held in one "
                        "expression")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="torch device (default: CPU)")
    from tdmm_lm.motion.gaps import add_gap_args
    add_gap_args(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.device import check_device
    from tdmm_lm.lm.tdmmlm import TDMMLM
    from tdmm_lm.motion import load
    from tdmm_lm.motion.gaps import policy_from_args
    from tdmm_lm.motion.io import load_pieces

    if args.question is not None and not args.question.strip():
        raise TdmmError("--question is empty; ask something, or drop --question to get a "
                        "description")
    policy = policy_from_args(args)       # fail on a bad file before loading the model
    pieces = (load_pieces(args.motion, gaps=policy) if args.gaps == "split"
              else [load(args.motion, gaps=policy)])
    if args.calibrate:
        from tdmm_lm.motion.ops import calibrate
        if pieces[0].format.name != "arkit61":
            raise TdmmError(f"{args.motion}: --calibrate reads ARKit takes (Live Link Face CSV), "
                            f"this file holds {pieces[0].format.name} motion")
        pieces = calibrate(pieces)
    lm = TDMMLM.from_pretrained(args.model, device=check_device(args.device))
    if args.question is not None:
        said = [lm.answer(m, args.question, seed=args.seed) for m in pieces]
    else:
        said = lm.describe(pieces, seed=args.seed)
    if len(pieces) == 1:
        print(said[0])
    else:
        for k, (m, text) in enumerate(zip(pieces, said), 1):
            head = f"piece {k}/{len(pieces)} ({m.num_frames / m.fps:.1f} s):"
            # a piece longer than the model reads comes back one line per window: indent them
            print(f"{head} {text}" if "\n" not in text else
                  "\n".join([head, *(f"  {line}" for line in text.splitlines())]))
    return 0
