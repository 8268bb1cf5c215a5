"""A fixed, documented mapping from ARKit-61 curves to FLAME parameters.

This is a SYNTHETIC STAND-IN, not a fit to the real FLAME expression basis (no FLAME model can
ship with the project). It exists so the FaceScript corpus can also be emitted in the ``flame``
layout (``expr_0..49, jaw_0..2, head_0..2``) with the same content, and so a FLAME pipeline
(tokenizer, LM, benchmark) can be exercised end to end. Models trained on it learn this map,
not real FLAME faces.

- Expressions: ``expr = blendshapes @ ARKIT_TO_FLAME_EXPR`` with a constant sparse ``[52, 50]``
  matrix built from a fixed seed: every blendshape except jawOpen/jawLeft/jawRight (which go
  to the jaw pose, as in FLAME) feeds 3 coefficients: one private dominant coefficient (so the
  49 used rows are linearly independent and no blendshape information is lost) and two shared
  ones preferring low indices, as a PCA basis would. Rows have norm 1.5, so typical
  coefficients stay within FLAME's usual [-3, 3].
- Jaw axis-angle (rad): ``jaw_0 = 0.3 * jawOpen`` (pitch; FLAME opens the mouth with positive
  x), ``jaw_1 = 0.1 * (jawLeft - jawRight)`` (yaw; positive moves the chin to the subject's
  left), ``jaw_2 = 0``.
- Head axis-angle: ``head_0 = headPitch``, ``head_1 = headYaw``, ``head_2 = headRoll`` (FaceScript
  writes ARKit angles in FLAME's axis convention, see ``primitives``; small angles make
  Euler ~ axis-angle). Eye rotations are dropped (the 56-channel layout has no eyes).
"""

from __future__ import annotations

import numpy as np

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES, flame_channels
from tdmm_lm.motion.types import Motion

N_EXPRESSION = 50
JAW_OPEN_RAD = 0.3   # FLAME jaw pitch at jawOpen = 1 (a wide-open mouth is ~15-20 degrees)
JAW_SIDE_RAD = 0.1   # lateral jaw shifts are small
_MAP_SEED = 20260301  # fixed forever: changing it changes every FLAME-format FaceScript sample
_PER_ROW = 3
_ROW_NORM = 1.5
_JAW_SHAPES = ("jawOpen", "jawLeft", "jawRight")
_IDX = {c: i for i, c in enumerate(ARKIT61_CHANNELS)}


def _build_expression_map() -> np.ndarray:
    rng = np.random.default_rng(_MAP_SEED)
    prefer_low = 1.0 / (1.0 + np.arange(N_EXPRESSION) / 10.0)
    prefer_low /= prefer_low.sum()
    out = np.zeros((len(ARKIT_BLENDSHAPES), N_EXPRESSION))
    primary = rng.permutation(N_EXPRESSION)  # one private, dominant coefficient per shape
    mapped = [i for i, name in enumerate(ARKIT_BLENDSHAPES) if name not in _JAW_SHAPES]
    for k, i in enumerate(mapped):
        others = np.setdiff1d(np.arange(N_EXPRESSION), primary[k])
        p = prefer_low[others] / prefer_low[others].sum()
        cols = np.concatenate([[primary[k]], rng.choice(others, _PER_ROW - 1, replace=False, p=p)])
        w = np.concatenate([[rng.choice([-1.0, 1.0])], rng.normal(0.0, 0.35, _PER_ROW - 1)])
        out[i, cols] = _ROW_NORM * w / np.linalg.norm(w)
    return out


ARKIT_TO_FLAME_EXPR: np.ndarray = _build_expression_map()
ARKIT_TO_FLAME_EXPR.flags.writeable = False


def arkit_curves_to_flame(arkit: np.ndarray) -> np.ndarray:
    """``[T, 61]`` ARKit-61 array -> ``[T, 56]`` FLAME array (``flame_channels(50)`` order)."""
    blend = arkit[:, :len(ARKIT_BLENDSHAPES)].astype(np.float64)
    jaw = np.zeros((len(arkit), 3))
    jaw[:, 0] = JAW_OPEN_RAD * arkit[:, _IDX["jawOpen"]]
    jaw[:, 1] = JAW_SIDE_RAD * (arkit[:, _IDX["jawLeft"]] - arkit[:, _IDX["jawRight"]])
    head = arkit[:, [_IDX["headPitch"], _IDX["headYaw"], _IDX["headRoll"]]]
    return np.concatenate([blend @ ARKIT_TO_FLAME_EXPR, jaw, head], axis=1).astype(np.float32)


def arkit_to_flame(motion: Motion) -> Motion:
    """The FLAME version of an ``arkit61`` motion: same frames and fps, ``flame_channels(50)``."""
    if motion.format.name != "arkit61":
        raise TdmmError(f"arkit_to_flame needs an arkit61 motion, got format "
                        f"{motion.format.name!r}")
    meta = dict(motion.meta, converted_from="arkit61:facescript_map")
    return Motion(arkit_curves_to_flame(motion.data), motion.fps, "flame", flame_channels(50),
                  meta=meta)
