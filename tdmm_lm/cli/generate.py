"""``tdmm-lm generate "PROMPT" --model DIR -o OUT.{csv,npz,mp4,gif,png} [--seconds S] [--seed N]``:
Language2Motion with any generator folder (a TDMM-LM run, an MDM or a T2M-GPT checkpoint)."""

from __future__ import annotations

from pathlib import Path

from tdmm_lm.cli.options import add_rig_arg
from tdmm_lm.errors import TdmmError

MOTION_FILES = (".csv", ".npz")


def register(sub) -> None:
    p = sub.add_parser("generate", help="generate facial motion from a prompt")
    p.add_argument("prompt", help="what the face should do")
    p.add_argument("--model", required=True, help="generator folder (generator.json inside)")
    p.add_argument("-o", "--output", required=True,
                   help="OUT.csv (Live Link Face) | OUT.npz | OUT.mp4 / .gif / .png (rendered)")
    p.add_argument("--seconds", type=float, help="duration (default: the model decides)")
    p.add_argument("--seed", type=int, default=0)
    add_rig_arg(p)
    p.add_argument("--device", default=None, help="torch device (default: CPU)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from tdmm_lm.device import check_device
    from tdmm_lm.generators import (BuildContext, check_seconds, frames_for_seconds,
                                    load_generator)

    out = Path(args.output)
    from tdmm_lm.geometry.render import FORMATS
    if out.suffix.lower() not in MOTION_FILES + tuple(FORMATS):   # fail before any slow work
        raise TdmmError(f"cannot write {out}: use one of {', '.join(MOTION_FILES + tuple(FORMATS))}")
    if not args.prompt.strip():
        raise TdmmError("the prompt is empty")
    check_seconds(args.seconds)
    generator = load_generator(args.model, BuildContext(device=check_device(args.device)))
    lengths = frames_for_seconds(generator, args.seconds)
    motion = generator.generate([args.prompt], lengths, seed=args.seed)[0]
    if out.suffix.lower() in MOTION_FILES:
        from tdmm_lm.motion import save
        save(motion, out)
    else:
        from tdmm_lm.geometry import FaceGeometry
        from tdmm_lm.geometry.render import render_to_file
        geometry = FaceGeometry.for_format(motion.format, motion.channels, rig=args.rig)
        from tdmm_lm.atomic import atomic_file
        with atomic_file(out) as tmp:    # geometry/render writes in place; rename when done
            render_to_file(geometry, motion, tmp, captions=[args.prompt], fps=motion.fps)
    print(f"wrote {out} ({motion.num_frames} frames at {motion.fps:g} fps, "
          f"{motion.num_frames / motion.fps:.2f} s)")
    return 0
