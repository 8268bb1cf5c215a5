"""Does a motion show the action its prompt asked for? A deterministic, model-free judge.

Each FaceScript primitive (on each side, for sided ones) is a pose direction ``v`` in ARKit-61
space. A motion's *energy* along it is ``sum_t max(0, a_t . v/|v|)^2`` where ``a_t`` is the frame
minus the clip's rest pose: the part of the motion that moves the face in that action's
direction. By Cauchy-Schwarz the best-aligned direction wins, so a broad smile scores higher on
``smile_broad`` than on ``smile_soft`` although both drive ``mouthSmile``. The prompt's primary
action (its first scripted action) *matches* when it is among the ``top`` strongest actions:
FaceScript clips hold up to three actions and spontaneous blinks, so demanding first place would
punish clips whose secondary action lasts longer.

Used by the LM and baseline evaluations ("strongest channels match the prompt's primary
action"); the benchmark's per-primitive detectors are separate and stricter.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61_CHANNELS
from tdmm_lm.motion.types import Motion
from tdmm_lm.data.facescript.primitives import PRIMITIVES

Action = tuple[str, "str | None"]  # (primitive name, side or None)
# Rotations are radians (a nod is 0.25 rad at full intensity): scale them up so a head or eye
# action weighs about as much as a blendshape action of the same visual size (a pose near 1).
_ROTATION_WEIGHT = 4.0
DEFAULT_TOP = 2


def _channel_weights() -> np.ndarray:
    return np.array([_ROTATION_WEIGHT if c.startswith(("head", "leftEye", "rightEye")) else 1.0
                     for c in ARKIT61_CHANNELS])


@lru_cache(maxsize=1)
def _directions() -> tuple[tuple[Action, ...], np.ndarray]:
    """Every (action, side) and its unit pose direction in weighted ARKit space ``[A, 61]``."""
    weights = _channel_weights()
    actions, rows = [], []
    for name, prim in PRIMITIVES.items():
        for side in (("left", "right") if prim.sided else (None,)):
            v = prim.pose_vector(side) * weights
            actions.append((name, side))
            rows.append(v / np.linalg.norm(v))
    return tuple(actions), np.stack(rows)


@lru_cache(maxsize=1)
def _two_way() -> np.ndarray:
    """``[A]`` bool: actions that swing both ways (a head shake is a signed sine), whose
    negative projections count too."""
    return np.array([PRIMITIVES[name].kind == "cycle" for name, _ in _directions()[0]])


def _arkit_data(motion: Motion) -> np.ndarray:
    if motion.format.name != "arkit61":
        raise TdmmError(f"the FaceScript judge reads arkit61 motions, got {motion.format.name!r}")
    if tuple(motion.channels) != tuple(ARKIT61_CHANNELS):
        raise TdmmError("the FaceScript judge needs the 61 ARKit channels in Live Link Face order")
    return np.asarray(motion.data, dtype=np.float64)


def action_energies(motion: Motion) -> dict[Action, float]:
    """Energy of the motion along every primitive's pose direction (see the module docstring),
    normalised by the frame rate so clips at different fps compare."""
    data = _arkit_data(motion)
    if len(data) == 0:
        return {a: 0.0 for a in _directions()[0]}
    rotation = _channel_weights() > 1.0
    # Rest pose: blendshapes rest near their minimum; rotations sway around their median.
    rest = np.where(rotation, np.median(data, axis=0), np.percentile(data, 2, axis=0))
    active = (data - rest) * _channel_weights()
    actions, directions = _directions()
    projection = active @ directions.T  # [T, A]
    projection = np.where(_two_way(), np.abs(projection), np.clip(projection, 0.0, None))
    energy = (projection ** 2).sum(axis=0) / motion.fps
    return dict(zip(actions, energy.tolist()))


def ranked_actions(motion: Motion) -> list[Action]:
    """All (action, side) pairs, strongest first."""
    energies = action_energies(motion)
    return sorted(energies, key=energies.get, reverse=True)


def strongest_action(motion: Motion) -> Action:
    return ranked_actions(motion)[0]


def _attributes(attributes: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return json.loads(attributes) if isinstance(attributes, str) else attributes


def primary_action(attributes: Mapping[str, Any] | str) -> Action:
    """The first scripted action of a clip (its attributes dict or JSON string)."""
    segments = _attributes(attributes).get("segments") or []
    if not segments:
        raise TdmmError("attributes have no segments: not a FaceScript clip")
    return segments[0]["action"], segments[0].get("side")


def matches_primary_action(motion: Motion, attributes: Mapping[str, Any] | str, *,
                           top: int = DEFAULT_TOP) -> bool:
    """True when the prompt's primary action (with its side) is among the motion's ``top``
    strongest actions."""
    return primary_action(attributes) in ranked_actions(motion)[:top]
