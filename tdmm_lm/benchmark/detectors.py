"""Motion attribute detectors: deterministic rules that find FaceScript's primitives in a motion,
and the rule-based describer built on them (the reference describer of the M2L tables).

    events = detect(motion)                 # [Event(action, side, start_s, end_s, peak, count)]
    found = detected_actions(motion)        # {("smile_broad", None), ("wink", "left"), ...}
    build_describer(None, context).describe(motions, seed=0)   # FaceScript-style sentences

How it reads a motion (ARKit-61; FLAME motions go back through FaceScript's fixed ARKit->FLAME
map, see ``to_arkit``):

1. Face actions: each frame's blendshapes, minus the clip's resting level (a low percentile per
   channel), are explained as a non-negative mix of the primitives' documented poses
   (``PRIMITIVES[...].pose_vector``, both sides of sided ones). A primitive is present where its
   weight stays above ``PRESENT`` for long enough (pulses such as blinks: a few frames).
2. Head actions from the head angles: a nod is a downward pitch pulse above the rolling floor
   of the pitch; a shake is a yaw swing both ways within a second; a tilt is a held roll away
   from the clip's resting roll (the mean of its first and last frames).

Validated on ground-truth FaceScript test motions by ``eval/scripts/detectors_validate.py``
(precision/recall per primitive in ``eval/results/detectors.md``). Thresholds were set on the
validation split, never the test split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from tdmm_lm.data.facescript.primitives import PRIMITIVES, SIDES
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES
from tdmm_lm.motion.types import Motion

_IDX = {c: i for i, c in enumerate(ARKIT61_CHANNELS)}
_NB = len(ARKIT_BLENDSHAPES)
HEAD_ACTIONS = ("nod", "shake_head", "tilt_head")

REST_PERCENTILE = 5.0     # the resting level of a blendshape: faces rest most of a clip
PRESENT = 0.25            # weight (1 = the strong pose) above which an action counts
ONE_SIDED = 0.5           # a sided action's other side moves at most this much of its side
MIN_SECONDS = 0.2         # shortest held action
MIN_PULSE_SECONDS = 0.05  # shortest blink / wink (they last ~0.15-0.3 s)
NOD_RAD = 0.06            # a slight nod of a low-gain subject rises ~0.08 rad
NOD_SECONDS = (0.1, 1.2)  # a nod's time above NOD_RAD: longer is a laugh's bounce or sway
SHAKE_RAD = 0.05          # each way
TILT_RAD = 0.12           # head sway reaches ~0.1 rad at the same time scale as a tilt
TILT_SECONDS = 0.5
HEAD_WINDOW_S = 1.0       # window that separates a nod or shake from slow head sway
_NNLS_SWEEPS = 60        # early-stopped: the thresholds were validated with exactly this
_CHUNK = 4096


@dataclass(frozen=True)
class Event:
    """One detected action: ``count`` pulses (repetitions) between ``start_s`` and ``end_s``;
    ``peak`` is its largest weight (1 = the primitive's strong pose; radians / pose for heads)."""

    action: str
    side: str | None
    start_s: float
    end_s: float
    peak: float
    count: int = 1


# ---- input ------------------------------------------------------------------------------------

def to_arkit(motion: Motion) -> np.ndarray:
    """``[T, 61]`` ARKit curves of a motion. FLAME motions (50 expressions) are mapped back
    through FaceScript's fixed ARKit->FLAME map (exact for FaceScript data; meaningless for real
    FLAME fits, which these rules cannot judge); other layouts raise ``TdmmError``."""
    if motion.format.name == "arkit61":
        return motion.data
    from tdmm_lm.data.facescript.flame_map import (ARKIT_TO_FLAME_EXPR, JAW_OPEN_RAD,
                                                   JAW_SIDE_RAD, N_EXPRESSION)
    from tdmm_lm.motion.formats import flame_channels
    if motion.channels[:N_EXPRESSION + 6] != flame_channels(N_EXPRESSION)[:N_EXPRESSION + 6] or \
            sum(c.startswith("expr_") for c in motion.channels) != N_EXPRESSION:
        raise TdmmError(f"the detectors cannot judge {motion.format.name} motion with "
                        f"{len(motion.channels)} channels (only ARKit-61, or FLAME with 50 "
                        "expressions through FaceScript's map)")
    expr = motion.data[:, :N_EXPRESSION].astype(np.float64)
    out = np.zeros((motion.num_frames, len(ARKIT61_CHANNELS)))
    rows = np.flatnonzero(np.abs(ARKIT_TO_FLAME_EXPR).sum(1) > 0)  # jaw shapes have no row
    out[:, rows] = expr @ np.linalg.pinv(ARKIT_TO_FLAME_EXPR[rows])
    jaw = motion.data[:, N_EXPRESSION:N_EXPRESSION + 3]
    out[:, _IDX["jawOpen"]] = jaw[:, 0] / JAW_OPEN_RAD
    out[:, _IDX["jawLeft"]] = np.maximum(jaw[:, 1], 0) / JAW_SIDE_RAD
    out[:, _IDX["jawRight"]] = np.maximum(-jaw[:, 1], 0) / JAW_SIDE_RAD
    head = motion.data[:, N_EXPRESSION + 3:N_EXPRESSION + 6]
    out[:, [_IDX["headPitch"], _IDX["headYaw"], _IDX["headRoll"]]] = head
    return out.astype(np.float32)


# ---- face actions: non-negative decomposition over the documented poses -----------------------

@lru_cache(maxsize=1)
def atoms() -> tuple[tuple[tuple[str, str | None], ...], np.ndarray]:
    """The face-action dictionary: ``(action, side)`` names and ``[K, 52]`` blendshape poses at
    strong intensity (wobbles at their mean level)."""
    names, rows = [], []
    for prim in PRIMITIVES.values():
        if prim.name in HEAD_ACTIONS:
            continue
        for side in (SIDES if prim.sided else (None,)):
            pose = prim.pose_vector(side)
            for w in prim.wobble:
                pose[_IDX[w.channel]] += 0.5 * w.amp
            names.append((prim.name, side))
            rows.append(pose[:_NB])
    return tuple(names), np.asarray(rows)


def nnls_frames(x: np.ndarray, dictionary: np.ndarray, sweeps: int = _NNLS_SWEEPS) -> np.ndarray:
    """Non-negative weights ``[T, K]`` minimising ``|w @ dictionary - x|`` for every frame of
    ``x [T, C]`` at once (cyclic coordinate descent on the Gram matrix; ``dictionary [K, C]``)."""
    gram = dictionary @ dictionary.T
    b = x @ dictionary.T                          # [T, K]
    w = np.zeros_like(b)
    diag = np.diag(gram)
    for _ in range(sweeps):
        for k in range(len(diag)):
            w[:, k] = np.maximum(0.0, w[:, k] + (b[:, k] - w @ gram[k]) / diag[k])
    return w


def _runs(active: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame ranges where ``active`` is True (end exclusive)."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _pulse(action: str) -> bool:
    return PRIMITIVES[action].kind == "pulse" and PRIMITIVES[action].saturates


@lru_cache(maxsize=1)
def _side_channels() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per sided atom: the blendshapes it moves on its own side only, and their partners."""
    from tdmm_lm.motion.formats import ARKIT61
    names, dictionary = atoms()
    out = {}
    for k, (_, side) in enumerate(names):
        if side is None:
            continue
        pose = dictionary[k]
        own = [i for i in np.flatnonzero(pose)
               if pose[_IDX[ARKIT61.mirror_partner(ARKIT_BLENDSHAPES[i])]] == 0]
        out[k] = (np.array(own), np.array([_IDX[ARKIT61.mirror_partner(ARKIT_BLENDSHAPES[i])]
                                           for i in own]))
    return out


def _one_sided(x: np.ndarray, frame: int, k: int) -> bool:
    """A sided action (wink, smirk, one brow) must leave the other side's partner channels at
    under ``ONE_SIDED`` of its own: a lopsided blink or smile is no wink or smirk."""
    own, partner = _side_channels()[k]
    return x[frame, partner].sum() < ONE_SIDED * max(x[frame, own].sum(), 1e-6)


def _rest_removed(arkit: np.ndarray) -> np.ndarray:
    blend = arkit[:, :_NB].astype(np.float64)
    return blend - np.percentile(blend, REST_PERCENTILE, axis=0)


def face_events(x: np.ndarray, weights: np.ndarray, fps: float) -> list[Event]:
    """Face actions from rest-removed blendshapes ``x [T, 52]`` and their weights ``[T, K]``."""
    names, dictionary = atoms()
    runs = []   # (mass, atom, start, end)
    for k, (action, side) in enumerate(names):
        shortest = (MIN_PULSE_SECONDS if _pulse(action) else MIN_SECONDS) * fps
        runs += [(weights[s:e, k].sum(), k, s, e) for s, e in _runs(weights[:, k] > PRESENT)
                 if e - s >= shortest
                 and (side is None or _one_sided(x, s + int(np.argmax(weights[s:e, k])), k))]
    # Two actions never move the same channels at once in FaceScript ("while" joins disjoint
    # ones), so of overlapping runs on shared channels only the heavier is real: the other is
    # the decomposition's way of fitting a clipped or lopsided pose (a broad smile -> soft smile).
    shared = (dictionary != 0).astype(int) @ (dictionary != 0).T.astype(int) > 0
    kept: list[tuple[float, int, int, int]] = []
    for run in sorted(runs, reverse=True):
        _, k, s, e = run
        if not any(shared[k, k2] and s < e2 and s2 < e for _, k2, s2, e2 in kept if k2 != k):
            kept.append(run)
    events = []
    for k, (action, side) in enumerate(names):
        mine = sorted((s, e) for _, k2, s, e in kept if k2 == k)
        if not mine:
            continue
        # repetitions of a pulse are separate runs; a held action is one event, first to last
        s, e = mine[0][0], mine[-1][1]
        count = len(mine) if PRIMITIVES[action].kind == "pulse" else 1
        events.append(Event(action, side, s / fps, e / fps, float(weights[s:e, k].max()), count))
    return events


# ---- head actions -----------------------------------------------------------------------------

def _rolling(x: np.ndarray, window: int, fn) -> np.ndarray:
    from numpy.lib.stride_tricks import sliding_window_view
    half = window // 2
    padded = np.pad(x, (half, half), mode="edge")
    return fn(sliding_window_view(padded, 2 * half + 1), axis=-1)


def _trailing_min(x: np.ndarray, n: int) -> np.ndarray:
    """``out[t] = min(x[t - n .. t])`` (the window shrinks at the start)."""
    from numpy.lib.stride_tricks import sliding_window_view
    return sliding_window_view(np.pad(x, (n, 0), mode="edge"), n + 1).min(axis=-1)


def head_events(arkit: np.ndarray, fps: float) -> list[Event]:
    window = max(3, int(round(HEAD_WINDOW_S * fps)))
    events = []
    pitch = arkit[:, _IDX["headPitch"]].astype(np.float64)
    # a nod rises above the pitch on BOTH sides of it; slow sway only on one side
    nod = pitch - np.maximum(_trailing_min(pitch, window // 2), _trailing_min(pitch[::-1], window // 2)[::-1])
    runs = [(s, e) for s, e in _runs(nod > NOD_RAD)
            if NOD_SECONDS[0] * fps <= e - s <= NOD_SECONDS[1] * fps]
    if runs:
        events.append(Event("nod", None, runs[0][0] / fps, runs[-1][1] / fps,
                            float(nod.max()), len(runs)))
    yaw = arkit[:, _IDX["headYaw"]].astype(np.float64)
    swing = yaw - _rolling(yaw, window, np.median)
    left, right = swing > SHAKE_RAD, swing < -SHAKE_RAD
    if left.any() and right.any():
        both = np.flatnonzero(left | right)
        li, ri = np.flatnonzero(left), np.flatnonzero(right)
        if np.min(np.abs(li[:, None] - ri[None, :])) <= fps:   # both ways within a second
            events.append(Event("shake_head", None, both[0] / fps, both[-1] / fps,
                                float(np.abs(swing).max()), 1))
    roll = arkit[:, _IDX["headRoll"]].astype(np.float64)
    edge = max(1, int(0.15 * fps))
    tilt = roll - 0.5 * (roll[:edge].mean() + roll[-edge:].mean())
    for side, sign in (("left", -1.0), ("right", 1.0)):   # headRoll < 0: the left ear goes down
        runs = [(s, e) for s, e in _runs(sign * tilt > TILT_RAD) if e - s >= TILT_SECONDS * fps]
        if runs:
            s, e = max(runs, key=lambda r: r[1] - r[0])
            events.append(Event("tilt_head", side, s / fps, e / fps,
                                float(np.abs(tilt[s:e]).max()), 1))
    return events


# ---- public -----------------------------------------------------------------------------------

def detect_many(motions: Sequence[Motion]) -> list[list[Event]]:
    """``detect`` for many motions at once (one decomposition over all their frames: fast)."""
    arkits = [to_arkit(m) for m in motions]
    xs = [_rest_removed(a) for a in arkits]
    if not xs:
        return []
    frames = np.concatenate(xs)
    # chunks keep the [frames, K] working set in cache (one big matrix is slower)
    weights = np.concatenate([nnls_frames(frames[i:i + _CHUNK], atoms()[1])
                              for i in range(0, len(frames), _CHUNK)])
    bounds = np.cumsum([0] + [len(x) for x in xs])
    out = []
    for i, (m, a, x) in enumerate(zip(motions, arkits, xs)):
        events = face_events(x, weights[bounds[i]:bounds[i + 1]], m.fps) + head_events(a, m.fps)
        out.append(sorted(events, key=lambda e: (e.start_s, e.action)))
    return out


def detect(motion: Motion) -> list[Event]:
    """Every primitive found in ``motion``, in order of onset."""
    return detect_many([motion])[0]


def detected_actions(motion: Motion) -> set[tuple[str, str | None]]:
    """The ``(action, side)`` pairs present in ``motion``."""
    return {(e.action, e.side) for e in detect(motion)}


# ---- the rule-based describer -----------------------------------------------------------------

# primitives these rules cannot judge reliably on FaceScript (validated, eval/results/detectors.md)
UNRELIABLE: dict[str, str] = {
    "tilt_head": "head sway reaches the size and time scale of a slight tilt",
}


def scripted_actions(attributes: str) -> set[tuple[str, str]]:
    """The ``(action, side)`` pairs a FaceScript row's ``attributes`` JSON scripts, less the
    actions the detectors cannot judge (``UNRELIABLE``)."""
    return {(s["action"], s["side"]) for s in json.loads(attributes).get("segments", [])
            if s["action"] not in UNRELIABLE}


BLINK_BURST_S = 0.6   # scripted repeated blinks follow each other this closely; spontaneous ones don't
_HEAD_POSE_RAD = {name: float(np.abs(PRIMITIVES[name].pose_vector()).max()) for name in HEAD_ACTIONS}


def _intensity(event: Event) -> str:
    """Graded intensity from the peak weight (slight 0.4, moderate 0.7, strong 1.0 of the pose,
    times a subject gain of 0.8-1.15)."""
    level = event.peak / _HEAD_POSE_RAD[event.action] if event.action in HEAD_ACTIONS else event.peak
    return "slight" if level < 0.5 else "moderate" if level < 0.8 else "strong"


def _blink_bursts(event: Event) -> int:
    """Repetitions of a scripted blink: a single blink is as likely spontaneous (0 = skip it)."""
    return event.count if event.count >= 2 and (event.end_s - event.start_s) <= \
        event.count * BLINK_BURST_S else 0


def named_events(events: list[Event]) -> list[tuple[Event, int]]:
    """The events a description names, with their repetitions: at most the 3 strongest, in
    onset order; single blinks are left out (as likely spontaneous as asked for)."""
    from tdmm_lm.data.facescript.plan import MAX_REPETITIONS

    kept = []
    for e in events:
        reps = e.count
        if e.action == "blink":
            reps = _blink_bursts(e)
            if not reps:
                continue
        kept.append((e, min(reps, MAX_REPETITIONS) if PRIMITIVES[e.action].repeatable else 1))
    return sorted(sorted(kept, key=lambda p: -p[0].peak)[:3], key=lambda p: p[0].start_s)


def describe_events(events: list[Event]) -> str:
    """A FaceScript-style sentence for detected events (``named_events``), through FaceScript's
    own canonical wording."""
    from tdmm_lm.data.facescript.plan import SegmentSpec
    from tdmm_lm.data.facescript.text import describe

    kept = named_events(events)
    if not kept:
        return "A person keeps a neutral face."
    specs, end = [], -1.0
    for i, (e, reps) in enumerate(kept):
        prim = PRIMITIVES[e.action]
        relation = None if i == 0 else ("while" if e.start_s < end else "then")
        specs.append(SegmentSpec(e.action, e.side, _intensity(e) if prim.graded else prim.intensity,
                                 "normal", reps, relation).validate(i))
        end = max(end, e.end_s)
    return describe(specs, None)


class RuleBasedDescriber:
    """``MotionDescriber`` from the detectors: deterministic (``seed`` is ignored)."""

    name = "rule-based"

    def describe(self, motions: list[Motion], *, seed: int) -> list[str]:
        return [describe_events(events) for events in detect_many(motions)]


def build_describer(checkpoint: str | None, context) -> RuleBasedDescriber:
    """Registry builder (``tdmm_lm.generators``): the rule-based describer has no checkpoint."""
    if checkpoint:
        raise TdmmError("the rule-based describer takes no checkpoint")
    return RuleBasedDescriber()
