"""The realism layer: what makes FaceScript curves look captured, without moving the ground truth.

Real Live Link Face takes differ from clean synthetic curves in four ways (the issue's list), and
each is modelled from statistics of the shared real takes, computed by
``eval/scripts/realism_stats.py`` (results in ``eval/results/realism_stats.md``) over the four
takes in ../shared/assets/livelinkface at 30 fps (MySlate_3, alexdjulin S07 and S88 — S88 split
at its 277 tracking-loss rows — and sentien MySlate_24):

1. resting offsets per subject (a performer's resting mouth stretch, squint, sneer ...);
2. co-activation: a blink narrows the eye and lowers the brow, an open jaw lowers and stretches
   the lips, a smile squints the cheek, the inner brow lifts the outer brows;
3. gaze: small saccades and drift of both eyes together;
4. tracking noise at the real level (ARKit smooths: far below FaceScript's old white noise).

Ground truth is untouched: nothing here shifts an action's timing, and every addition is kept
below what the benchmark detectors count as an action (see each constant), so a clip's actions,
timing, emotion and intensity labels stay exact. The detectors and the judge both measure
motion relative to a clip's resting level, so resting offsets do not move them either.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES

_IDX = {c: i for i, c in enumerate(ARKIT61_CHANNELS)}
_NB = len(ARKIT_BLENDSHAPES)
_REST_SALT = 0x2E57   # a subject's realistic rest draws from its own stream

# Resting level = 5th percentile per channel; mean and spread across the 4 takes (left/right
# pooled where the takes agree). Channels whose mean rest is under 0.03 are left at FaceScript's
# own faint rest. Subject rest = max(0, mean + spread * N(0, 1)).
REST = {  # channel stem: (mean, std across takes)
    "mouthStretch": (0.130, 0.045), "eyeSquint": (0.108, 0.097), "noseSneer": (0.098, 0.052),
    "mouthShrugUpper": (0.081, 0.050), "mouthFunnel": (0.071, 0.043),
    "browInnerUp": (0.067, 0.037), "mouthLowerDown": (0.061, 0.030),
    "browDown": (0.072, 0.125), "mouthRollLower": (0.045, 0.030), "mouthPucker": (0.040, 0.030),
    "cheekSquint": (0.035, 0.020),
}
# Co-activation (driver -> follower, slope): the median over the takes of the least-squares
# slope of the follower on the driver (both rest-removed) on frames where the driver is 0.1+
# above rest. Applied as a floor, follower >= rest + slope * (driver - rest): primitives that
# already move the follower further (a squint, a yawn) are left as they are. Both sides.
# Two slopes are capped below the measured median, where the detectors stop telling actions
# apart (measured on 200 clips, seed 7, one coupling at a time): jaw -> lower lip measured 0.89,
# but above ~0.2 a yawn reads as open_mouth (their poses differ by exactly this ratio), so 0.15;
# blink -> brow down measured 0.44 (0.0 to 1.19 across takes), but from 0.44 a blink reads as
# furrowed brows, so 0.25.
COUPLING = [("eyeBlink", "eyeSquint", 0.32), ("eyeBlink", "browDown", 0.25),
            ("jawOpen", "mouthLowerDown", 0.15), ("jawOpen", "mouthStretch", 0.40),
            ("jawOpen", "jawForward", 0.37), ("mouthSmile", "cheekSquint", 0.25),
            ("browInnerUp", "browOuterUp", 0.96)]
# the eyes roll down while the lids close: +0.31 rad eye pitch per unit of blink (median slope);
# scaled by 0.5 because FaceScript's blink reaches 1.0 where real ones peak at 0.6-0.9, and the
# judge weighs rotations x4 (a full-size roll would read as a glance down)
BLINK_PITCH = 0.31 * 0.5
# Gaze: saccades (steps faster than 0.015 rad/frame) at a median 1.3 per second on yaw and
# pitch, median size 0.036 rad (yaw) and 0.051 rad (pitch); between them a drift whose
# frame-to-frame std is 0.0045 rad. Real gaze wanders +-0.3 rad; here the fixation stays within
# GAZE_CAP of the subject's rest gaze (drift within a third of it), because FaceScript's look_*
# actions are 0.35 rad and the detectors call a glance from a quarter of that (0.09 rad above
# the clip's rest): the gaze's peak-to-peak range (2·cap + 2·cap/3 = 0.08 rad) must stay under
# it, or it would be an action the ground truth does not list.
SACCADE_HZ, SACCADE_YAW, SACCADE_PITCH = 1.3, 0.036, 0.051
DRIFT_STEP, DRIFT_RETURN_S = 0.0045, 0.3
GAZE_CAP = 0.03
# Tracking noise: white-noise std from second differences (median over channels, per take):
# 0.00004-0.00054 on blendshapes, 0.0005-0.0015 rad on eye angles. A subject draws its level
# uniformly in that range (replacing FaceScript's clean-mode noise, 10-30x larger than real).
NOISE_BLEND, NOISE_EYE = (0.00004, 0.00054), (0.0005, 0.0015)


def _side(stem: str) -> list[int]:
    names = [stem] if stem in _IDX else [f"{stem}Left", f"{stem}Right"]
    return [_IDX[n] for n in names]


@lru_cache(maxsize=4096)
def realistic_rest(subject: str) -> np.ndarray:
    """``[61]`` resting offsets of ``subject`` drawn from ``REST`` (deterministic per id;
    left and right share a value, as the takes' rests do). Read-only (cached)."""
    rng = np.random.default_rng([_REST_SALT, zlib.crc32(subject.encode("utf-8"))])
    rest = np.zeros(len(ARKIT61_CHANNELS))
    for stem, (mean, std) in REST.items():
        rest[_side(stem)] = max(0.0, mean + std * rng.standard_normal())
    rest.flags.writeable = False
    return rest


def couple(x: np.ndarray, rest: np.ndarray) -> None:
    """Raise each follower to its co-activation floor (``COUPLING``), in place; ``x [T, 61]``."""
    for driver, follower, k in COUPLING:
        for d, f in zip(_side(driver) * (2 if len(_side(driver)) == 1 else 1), _side(follower)):
            floor = rest[f] + k * np.maximum(x[:, d] - rest[d], 0.0)
            x[:, f] = np.maximum(x[:, f], floor)
    blink = np.maximum(x[:, _IDX["eyeBlinkLeft"]] - rest[_IDX["eyeBlinkLeft"]],
                       x[:, _IDX["eyeBlinkRight"]] - rest[_IDX["eyeBlinkRight"]]).clip(0.0)
    x[:, [_IDX["leftEyePitch"], _IDX["rightEyePitch"]]] += BLINK_PITCH * blink[:, None]


def _gaze_axis(rng: np.random.Generator, frames: int, fps: float, size: float) -> np.ndarray:
    """``[T]`` fixation offsets (saccade steps, within ``GAZE_CAP``) plus mean-reverting drift."""
    onsets = np.flatnonzero(rng.random(frames) < SACCADE_HZ / fps)
    target = np.zeros(frames)
    level = 0.0
    for s in onsets:
        # exponential sizes with the measured median (median = ln 2 · mean)
        step = rng.exponential(size / np.log(2.0)) * rng.choice([-1.0, 1.0])
        level = float(np.clip(level + step, -GAZE_CAP, GAZE_CAP))
        target[s:] = level
    drift = np.zeros(frames)
    pull = 1.0 / (DRIFT_RETURN_S * fps)
    kicks = rng.normal(0.0, DRIFT_STEP, frames)
    for t in range(1, frames):     # O(T) scalar loop: clips are a few hundred frames
        drift[t] = drift[t - 1] * (1.0 - pull) + kicks[t]
    # a saccade takes about two frames at 30 fps: smooth the steps by a 2-frame mean
    smooth = np.convolve(target, np.ones(2) / 2.0, mode="full")[:frames]
    return smooth + np.clip(drift, -GAZE_CAP / 3, GAZE_CAP / 3)


def gaze(rng: np.random.Generator, frames: int, fps: float) -> np.ndarray:
    """``[T, 61]`` additive gaze: both eyes' yaw and pitch move together, and the eyeLook
    blendshapes follow at the ratio FaceScript's own look_* poses use (0.8 per 0.35 rad)."""
    out = np.zeros((frames, len(ARKIT61_CHANNELS)))
    yaw = _gaze_axis(rng, frames, fps, SACCADE_YAW)
    pitch = _gaze_axis(rng, frames, fps, SACCADE_PITCH)
    out[:, [_IDX["leftEyeYaw"], _IDX["rightEyeYaw"]]] = yaw[:, None]
    out[:, [_IDX["leftEyePitch"], _IDX["rightEyePitch"]]] = pitch[:, None]
    lid = 0.8 / 0.35
    # look_left (yaw > 0): eyeLookOutLeft + eyeLookInRight; pitch > 0 looks down
    out[:, _IDX["eyeLookOutLeft"]] = out[:, _IDX["eyeLookInRight"]] = lid * yaw.clip(0.0)
    out[:, _IDX["eyeLookInLeft"]] = out[:, _IDX["eyeLookOutRight"]] = lid * (-yaw).clip(0.0)
    out[:, [_IDX["eyeLookDownLeft"], _IDX["eyeLookDownRight"]]] = lid * pitch.clip(0.0)[:, None]
    out[:, [_IDX["eyeLookUpLeft"], _IDX["eyeLookUpRight"]]] = lid * (-pitch).clip(0.0)[:, None]
    return out


def tracking_noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """``[T, 61]`` white noise at a level drawn per clip from the real takes' range."""
    noise = rng.standard_normal(shape)
    noise[:, :_NB] *= rng.uniform(*NOISE_BLEND)
    noise[:, _NB:_NB + 3] *= 0.0          # head columns are all zero in 3 of the 4 takes; sway stays
    noise[:, _NB + 3:] *= rng.uniform(*NOISE_EYE)
    return noise


def apply(x: np.ndarray, subject: str, fps: float, rng: np.random.Generator) -> np.ndarray:
    """``x [T, 61]`` clean curves (before clipping) → curves with resting offsets, co-activation,
    gaze and tracking noise (a new array)."""
    rest = realistic_rest(subject)
    out = x + rest
    base = np.percentile(out, 5, axis=0)    # the clip's own rest (FaceScript rest + realistic)
    couple(out, base)
    out += gaze(rng, len(x), fps)
    out += tracking_noise(rng, x.shape)
    return out
