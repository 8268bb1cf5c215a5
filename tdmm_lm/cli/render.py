"""``tdmm-lm render IN -o OUT.{png,gif,mp4} [--rig R] [--flame-model DIR] [--compare OTHER]``.

PNG: a contact sheet of key frames (numbered, with times) above the most active channel curves.
GIF/MP4: the animation (front + three-quarter views), side by side with ``--compare``.
ARKit rigs resolve as ``--rig`` (a path or ``procedural``), ``$TDMM_ARKIT_RIG``, the user cache,
then the packaged ICT-FaceKit face (``tdmm_lm/geometry/rig_choice.py``).
"""

from __future__ import annotations

from pathlib import Path

from tdmm_lm.cli.options import add_rig_arg
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.gaps import add_gap_args, policy_from_args


def register(sub) -> None:
    p = sub.add_parser("render", help="render a motion to a PNG contact sheet, GIF or MP4")
    p.add_argument("input", help="motion file (.csv Live Link Face, .npz, SMIRK .pkl)")
    p.add_argument("-o", "--output", required=True, help="OUT.png | OUT.gif | OUT.mp4")
    add_rig_arg(p)
    p.add_argument("--flame-model", default=None, help="FLAME model folder (flame motions)")
    p.add_argument("--compare", default=None, help="a second motion shown beside the first")
    p.add_argument("--caption", action="append", default=None,
                   help="caption text (repeat for the --compare motion)")
    p.add_argument("--fps", type=float, default=30.0, help="animation frame rate (default 30)")
    add_gap_args(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.geometry import FaceGeometry
    from tdmm_lm.geometry.render import FORMATS, render_to_file
    from tdmm_lm.motion import load

    if Path(args.output).suffix.lower() not in FORMATS:   # fail before any slow work
        raise TdmmError(f"cannot render to {args.output}: use one of {', '.join(FORMATS)}")
    motion = load(args.input, gaps=policy_from_args(args))
    other = load(args.compare, gaps=policy_from_args(args)) if args.compare else None
    if other is not None and (other.format.name, other.channels) != (motion.format.name,
                                                                      motion.channels):
        raise TdmmError(f"--compare {args.compare} is {other.format.name} with "
                        f"{len(other.channels)} channels; it must match {args.input}")
    geometry = FaceGeometry.for_format(motion.format, motion.channels, rig=args.rig,
                                       flame_model=args.flame_model)
    captions = args.caption
    if captions and other is not None and len(captions) == 1:
        captions = captions + [Path(args.compare).name]
    from tdmm_lm.atomic import atomic_file
    with atomic_file(args.output) as tmp:    # geometry/render writes in place; rename when done
        render_to_file(geometry, motion, tmp, compare=other, captions=captions, fps=args.fps)
    print(f"wrote {args.output}")
    return 0
