"""``tdmm-lm motion inspect|convert``."""

from __future__ import annotations

import json
from pathlib import Path

from tdmm_lm.motion import load_pieces, save
from tdmm_lm.motion.gaps import add_gap_args, policy_from_args
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.summary import format_summary, summarize


def register(sub) -> None:
    group = sub.add_parser("motion", help="inspect and convert motion files")
    cmds = group.add_subparsers(dest="motion_command", metavar="ACTION", required=True)

    p = cmds.add_parser("inspect", help="format, fps, frames, channels and per-group ranges")
    p.add_argument("file", help="Live Link Face .csv, tdmm-lm/SPECTRE/FLAME .npz, SMIRK .pkl")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_gap_args(p)
    p.set_defaults(handler=inspect)

    p = cmds.add_parser("convert", help="convert between .csv and .npz, optionally resampling")
    p.add_argument("input")
    p.add_argument("output", help=".csv (arkit61 only) or .npz")
    p.add_argument("--fps", type=float, default=None, help="resample to this frame rate")
    add_gap_args(p)
    p.set_defaults(handler=convert)


def inspect(args) -> int:
    """One summary per piece (a take ``--gaps`` splits has several), each with the gap report."""
    pieces = [summarize(m) for m in load_pieces(args.file, gaps=policy_from_args(args))]
    if args.json:
        print(json.dumps(pieces[0] if len(pieces) == 1 else {"source": pieces[0]["source"],
                                                             "pieces": pieces}, indent=2))
    else:
        # the gap report describes the whole take: print it once, after the last piece
        print("\n".join(format_summary(s, gaps=s is pieces[-1]) for s in pieces))
    return 0


def convert(args) -> int:
    """Write ``OUT``; a take ``--gaps`` splits goes to ``OUT_p1``, ``OUT_p2``, ... (one per piece)."""
    pieces = load_pieces(args.input, gaps=policy_from_args(args))
    out = Path(args.output)
    for i, motion in enumerate(pieces, start=1):
        if args.fps is not None:   # 0, negative, nan and inf are refused by resample, not ignored
            motion = resample(motion, args.fps)
        path = out if len(pieces) == 1 else out.with_name(f"{out.stem}_p{i}{out.suffix}")
        save(motion, path)
        print(f"wrote {path}: {motion.format.name}, {motion.num_frames} frames at {motion.fps:g} fps")
    return 0
