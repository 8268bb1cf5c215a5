"""What a facial motion is: formats, the ``Motion`` type, file I/O and array operations."""

from tdmm_lm.motion.formats import ARKIT61, FLAME, FORMATS, MotionFormat, flame_channels, get_format
from tdmm_lm.motion.gaps import GapPolicy
from tdmm_lm.motion.io import load, load_pieces, save
from tdmm_lm.motion.types import Motion

__all__ = ["ARKIT61", "FLAME", "FORMATS", "GapPolicy", "Motion", "MotionFormat", "flame_channels",
           "get_format", "load", "load_pieces", "save"]
