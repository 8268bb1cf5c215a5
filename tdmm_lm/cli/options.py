"""Flags several commands share, defined once so their meaning and help never drift apart."""

from __future__ import annotations

RIG_HELP = ("ARKit blendshape rig .npz, or 'procedural' for the built-in procedural face "
            "(default: $TDMM_ARKIT_RIG, ~/.cache/tdmm_lm/arkit_rig.npz, else the packaged "
            "ICT-FaceKit face)")


def add_rig_arg(p) -> None:
    """``--rig``: which ARKit face renders and measures arkit61 motion."""
    p.add_argument("--rig", default=None, help=RIG_HELP)

