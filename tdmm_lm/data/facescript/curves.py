"""Render a laid-out script to ARKit-61 curves: envelopes, blinks, sway and capture noise.

All work is vectorised over frames (no per-frame Python), so one clip costs a few dozen numpy
calls. Blendshapes end clipped to ARKit's nominal range [0, 1] (Live Link Face can report a bit
over 1; we keep the documented range so downstream normalisers see a fixed box).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tdmm_lm.data.facescript import realism
from tdmm_lm.data.facescript.plan import Segment
from tdmm_lm.data.facescript.primitives import INTENSITY_GAIN, PRIMITIVES
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES

_N = len(ARKIT61_CHANNELS)
_NB = len(ARKIT_BLENDSHAPES)
_IDX = {c: i for i, c in enumerate(ARKIT61_CHANNELS)}
_BLINK = np.array([_IDX["eyeBlinkLeft"], _IDX["eyeBlinkRight"]])
_HEAD = np.array([_IDX["headYaw"], _IDX["headPitch"], _IDX["headRoll"]])
_BLINK_SHAPE = PRIMITIVES["blink"].timing
_REFRACTORY = 0.5  # s; no two spontaneous blinks closer than this
_BLINK_GUARD = 0.3  # s kept free of spontaneous blinks around actions that move the lids


def smoothstep(x: np.ndarray) -> np.ndarray:
    """``3x^2 - 2x^3`` on ``x`` clipped to [0, 1]: a ramp with zero slope at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def envelope(t: np.ndarray, start: float, attack: float, hold: float, release: float
             ) -> np.ndarray:
    """``[T]`` attack/hold/release envelope in [0, 1] with smoothstep ramps (seconds)."""
    rise = smoothstep((t - start) / attack)
    fall = 1.0 - smoothstep((t - start - attack - hold) / release)
    return rise * fall


def segment_curves(seg: Segment, t: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``[T, 61]`` contribution of one segment; ``gain[61]`` is the subject's side gain."""
    spec = seg.spec
    prim = PRIMITIVES[spec.action]
    amp = INTENSITY_GAIN[spec.intensity] if prim.graded else 1.0
    pose = prim.pose_vector(spec.side) * (1.0 if prim.saturates else gain) * amp
    if prim.kind == "pulse":
        env = sum(envelope(t, seg.start + r * seg.period, seg.attack, seg.hold, seg.release)
                  for r in range(seg.pulses))
    else:
        env = envelope(t, seg.start, seg.attack, seg.hold, seg.release)
    if prim.kind == "cycle":  # signed: one full sine period per repetition, faded in and out
        phase = np.clip((t - seg.start) / seg.active, 0.0, 1.0)
        env = env * np.sin(2.0 * np.pi * spec.repetitions * phase)
    out = env[:, None] * pose
    for w in prim.wobble:
        bounce = 0.5 - 0.5 * np.cos(2.0 * np.pi * w.hz * (t - seg.start))
        out[:, _IDX[w.channel]] += w.amp * amp * gain[_IDX[w.channel]] * bounce * env
    return out


def spontaneous_blink_times(rng: np.random.Generator, rate_per_min: float, duration: float,
                            segments: Sequence[Segment]) -> np.ndarray:
    """Onsets (s) of blinks not asked for by the script: a Poisson-like process with a
    refractory gap, kept away from actions that already move the eyelids."""
    mean_gap = 60.0 / rate_per_min
    n = int(duration / _REFRACTORY) + 1
    gaps = _REFRACTORY + rng.exponential(max(mean_gap - _REFRACTORY, 0.1), size=n)
    times = rng.uniform(-mean_gap, 0.0) + np.cumsum(gaps)
    keep = (times > 0.05) & (times < duration - 0.3)
    for seg in segments:
        if PRIMITIVES[seg.spec.action].pose_vector(seg.spec.side)[_BLINK].any():
            keep &= (times < seg.start - _BLINK_GUARD) | (times > seg.end + _BLINK_GUARD)
    return times[keep]


def _sway(rng: np.random.Generator, t: np.ndarray, amplitude: float) -> np.ndarray:
    """``[T, 3]`` low-frequency head sway (yaw, pitch, roll): three slow sines per axis."""
    freqs = rng.uniform(0.08, 0.5, size=(3, 3))
    phases = rng.uniform(0.0, 2.0 * np.pi, size=(3, 3))
    amps = rng.normal(0.0, amplitude / np.sqrt(3.0), size=(3, 3))
    waves = np.sin(2.0 * np.pi * freqs * t[:, None, None] + phases) * amps
    return waves.sum(axis=-1)


def render_arkit(segments: Sequence[Segment], style, duration: float, fps: float,
                 rng: np.random.Generator, realism_rng: np.random.Generator | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The clip as ``[T, 61]`` float32 ARKit curves, ``T = round(duration * fps)``, and the
    spontaneous blink onsets in seconds. ``style`` is a ``SubjectStyle``. With ``realism_rng``
    the realism layer (``realism.py``: real resting offsets, co-activation, gaze, real-level
    tracking noise) replaces the clean white noise; timing and actions are the same."""
    t = np.arange(int(round(duration * fps))) / fps
    gain = style.side_gain()
    out = np.tile(style.rest, (len(t), 1))
    for seg in segments:
        out += segment_curves(seg, t, gain)
    blinks = spontaneous_blink_times(rng, style.blink_rate, duration, segments)
    if len(blinks):
        depth = rng.uniform(0.85, 1.0, size=len(blinks))  # not every blink closes fully
        a, h, r = _BLINK_SHAPE
        lids = np.max([d * envelope(t, b, a, h, r) for b, d in zip(blinks, depth)], axis=0)
        out[:, _BLINK] = np.maximum(out[:, _BLINK], lids[:, None] * gain[_BLINK] / style.gain)
    out[:, _HEAD] += _sway(rng, t, style.sway)
    if realism_rng is not None:
        out = realism.apply(out, style.subject, fps, realism_rng)
    else:
        noise = rng.normal(0.0, style.noise, size=out.shape)
        noise[:, _NB:] /= 3.0  # rotations are tracked more steadily than lip corners
        out += noise
    out[:, :_NB] = np.clip(out[:, :_NB], 0.0, 1.0)
    return out.astype(np.float32), blinks
