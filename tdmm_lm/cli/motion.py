"""``tdmm-lm motion inspect|convert``."""

from __future__ import annotations

import json

from tdmm_lm.motion import load, save
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.summary import format_summary, summarize


def register(sub) -> None:
    group = sub.add_parser("motion", help="inspect and convert motion files")
    cmds = group.add_subparsers(dest="motion_command", metavar="ACTION", required=True)

    p = cmds.add_parser("inspect", help="format, fps, frames, channels and per-group ranges")
    p.add_argument("file", help="Live Link Face .csv, tdmm-lm/SPECTRE/FLAME .npz, SMIRK .pkl")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=inspect)

    p = cmds.add_parser("convert", help="convert between .csv and .npz, optionally resampling")
    p.add_argument("input")
    p.add_argument("output", help=".csv (arkit61 only) or .npz")
    p.add_argument("--fps", type=float, default=None, help="resample to this frame rate")
    p.set_defaults(handler=convert)


def inspect(args) -> int:
    summary = summarize(load(args.file))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


def convert(args) -> int:
    motion = load(args.input)
    if args.fps is not None:   # 0, negative, nan and inf are refused by resample, not ignored
        motion = resample(motion, args.fps)
    save(motion, args.output)
    print(f"wrote {args.output}: {motion.format.name}, {motion.num_frames} frames at {motion.fps:g} fps")
    return 0
