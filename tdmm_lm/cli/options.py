"""Flags several commands share, defined once so their meaning and help never drift apart."""

from __future__ import annotations

RIG_HELP = ("ARKit blendshape rig .npz, or 'procedural' for the built-in procedural face "
            "(default: $TDMM_ARKIT_RIG, ~/.cache/tdmm_lm/arkit_rig.npz, else the packaged "
            "ICT-FaceKit face)")


def add_rig_arg(p) -> None:
    """``--rig``: which ARKit face renders and measures arkit61 motion."""
    p.add_argument("--rig", default=None, help=RIG_HELP)


def add_gap_args(p) -> None:
    """``--gaps``/``--max-gap``: what to do with frames a Live Link Face take lost
    (the table is in ``tdmm_lm/motion/gaps.py``)."""
    from tdmm_lm.motion.gaps import DEFAULT_MAX_GAP, MODES
    p.add_argument("--gaps", choices=MODES, default="auto",
                   help="missing frames (tracking lost, timecodes skipped): auto fills gaps up to "
                   "--max-gap and splits the take at longer ones; fill interpolates all; split "
                   "splits at every gap; error refuses the take (default auto)")
    p.add_argument("--max-gap", type=float, default=DEFAULT_MAX_GAP, metavar="SECONDS",
                   help=f"longest gap auto fills (default {DEFAULT_MAX_GAP:g} s)")


def gap_policy(args):
    """The ``GapPolicy`` the flags of ``add_gap_args`` ask for."""
    from tdmm_lm.motion.gaps import GapPolicy
    return GapPolicy(args.gaps, args.max_gap)
