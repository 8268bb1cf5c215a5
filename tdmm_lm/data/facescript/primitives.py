"""The FaceScript action vocabulary: which ARKit channels each primitive drives, and how.

``PRIMITIVES`` is the fixed, documented vocabulary later stages parse descriptions with (the
attribute detectors, the rule-based describer, the benchmark). Names are stable identifiers;
``phrases[0]`` is the canonical verb phrase, the rest are synonyms.

Sign conventions (ARKit Euler angles in radians, made to agree with FLAME's right-handed axes:
x = towards the subject's left, y = up, z = forward out of the face):

- ``headPitch`` / ``*EyePitch`` > 0: looking down (the Live Link Face take in ``shared/assets``
  has eyeLookDown* high exactly where eye pitch is positive).
- ``headYaw`` / ``*EyeYaw`` > 0: turning towards the subject's left (in that take the left eye's
  ``eyeLookInLeft`` goes with negative ``leftEyeYaw``, the right eye's ``eyeLookInRight`` with
  positive ``rightEyeYaw``).
- ``headRoll`` > 0: the left ear goes up, i.e. the head tilts towards the subject's right shoulder.
- ``eyeLookOutLeft``: the LEFT eye looks outward, to the subject's left; ``eyeLookInRight``: the
  right eye looks towards the nose, also to the subject's left. So "look left" =
  eyeLookOutLeft + eyeLookInRight + positive leftEyeYaw/rightEyeYaw.

"Left"/"right" always mean the subject's own left and right, never the viewer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

import numpy as np

from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS

Kind = Literal["hold", "pulse", "cycle"]

INTENSITIES: tuple[str, ...] = ("slight", "moderate", "strong")
# Amplitude multiplier per intensity; poses below are written at "strong".
INTENSITY_GAIN: Mapping[str, float] = MappingProxyType(
    {"slight": 0.4, "moderate": 0.7, "strong": 1.0})
SPEEDS: tuple[str, ...] = ("slow", "normal", "quick")
# Time multiplier per speed (attack, hold, release and repetition period all scale).
SPEED_FACTOR: Mapping[str, float] = MappingProxyType({"slow": 1.6, "normal": 1.0, "quick": 0.6})
SIDES: tuple[str, ...] = ("left", "right")
EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "surprised", "disgusted",
                             "fearful", "contempt")
HEAD_MOTIONS: tuple[str, ...] = ("none", "nod", "shake", "tilt")
_CHANNEL_INDEX = {name: i for i, name in enumerate(ARKIT61_CHANNELS)}
_STOPWORDS = frozenset("a an and the their of to with in on up out one side into from let".split())


@dataclass(frozen=True)
class Wobble:
    """A sinusoid added on top of a hold (a laugh's jaw bounce): ``amp * (1 - cos) / 2``."""

    channel: str
    amp: float
    hz: float


@dataclass(frozen=True)
class Primitive:
    """One facial action.

    ``pose`` maps ARKit channels to their value at full ("strong") intensity; sided primitives
    are written for the LEFT side and mirrored with ``ARKIT61.mirror_partner``/``mirror_sign``.
    ``kind``: ``hold`` = attack/hold/release once; ``pulse`` = that envelope once per repetition
    (blink, nod); ``cycle`` = a signed sine, one period per repetition (head shake).
    ``timing`` is (attack, hold, release) seconds at normal speed (per repetition for pulses;
    for cycles, hold is the period of one repetition).
    ``phrases`` are base-form verb phrases with ``{their}`` and ``{side}`` slots; ``[0]`` is
    canonical. ``intensity``: None when intensity words apply (graded); otherwise the action's
    fixed intensity (a blink is a blink; a soft or broad smile names its own), rendered at the
    pose amplitude. ``saturates``: the action reaches its pose whatever the subject's gain (a
    blink closes the lid fully for everyone).
    """

    name: str
    phrases: tuple[str, ...]
    pose: Mapping[str, float]
    kind: Kind = "hold"
    timing: tuple[float, float, float] = (0.35, 1.0, 0.4)
    emotion: str | None = None
    sided: bool = False
    repeatable: bool = False
    intensity: str | None = None
    saturates: bool = False
    head_motion: str | None = None
    wobble: tuple[Wobble, ...] = ()
    keywords: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        unknown = [c for c in list(self.pose) + [w.channel for w in self.wobble]
                   if c not in _CHANNEL_INDEX]
        if unknown:
            raise ValueError(f"primitive {self.name}: unknown ARKit channels {unknown}")
        if not self.keywords:  # content words of the phrases: every description uses some
            words = {w for p in self.phrases for w in re.findall(r"[a-z]+", p)}
            object.__setattr__(self, "keywords", tuple(sorted(words - _STOPWORDS)))

    @property
    def graded(self) -> bool:
        return self.intensity is None

    def channels(self, side: str | None = None) -> tuple[str, ...]:
        """The ARKit channels this action drives on ``side`` (pose and wobble), canonical order."""
        driven = self.pose_vector(side) != 0
        for w in self.wobble:
            driven[_CHANNEL_INDEX[w.channel]] = True
        return tuple(ARKIT61_CHANNELS[i] for i in np.flatnonzero(driven))

    def pose_vector(self, side: str | None = None) -> np.ndarray:
        """``[61]`` float64 pose at strong intensity, mirrored when ``side == "right"``."""
        vec = np.zeros(len(ARKIT61_CHANNELS))
        for name, value in self.pose.items():
            vec[_CHANNEL_INDEX[name]] = value
        return mirror_vector(vec) if side == "right" else vec


def mirror_vector(vec: np.ndarray) -> np.ndarray:
    """Left/right mirror of an ARKit ``[..., 61]`` array (swap partners, flip yaw and roll)."""
    return vec[..., _MIRROR_INDEX] * _MIRROR_SIGN


_MIRROR_INDEX = np.array([_CHANNEL_INDEX[ARKIT61.mirror_partner(c)] for c in ARKIT61_CHANNELS])
_MIRROR_SIGN = np.array([ARKIT61.mirror_sign(c) for c in ARKIT61_CHANNELS])


def _both(stem: str, value: float) -> dict[str, float]:
    """``{stemLeft: v, stemRight: v}``: the symmetric form most poses need."""
    return {f"{stem}Left": value, f"{stem}Right": value}


def _pose(*parts: Mapping[str, float], **single: float) -> Mapping[str, float]:
    out: dict[str, float] = {}
    for p in parts:
        out.update(p)
    out.update(single)
    return MappingProxyType(out)


_GAZE_YAW = 0.35     # rad; ~20 deg, a clear sideways glance
_GAZE_PITCH = 0.3    # rad
_BLINK_TIMING = (0.08, 0.04, 0.14)  # human blinks close fast and open slower, ~0.25 s total

_ALL = (
    Primitive("smile_soft", ("smile softly", "smile gently", "give a soft smile",
                             "smile a little"),
              _pose(_both("mouthSmile", 0.45), _both("cheekSquint", 0.15),
                    _both("mouthDimple", 0.1)), emotion="happy", intensity="slight"),
    Primitive("smile_broad", ("smile broadly", "grin widely", "break into a wide smile",
                              "give a big smile"),
              _pose(_both("mouthSmile", 0.9), _both("cheekSquint", 0.45),
                    _both("eyeSquint", 0.25), _both("mouthUpperUp", 0.2),
                    _both("mouthDimple", 0.2), jawOpen=0.08), emotion="happy",
              intensity="strong"),
    Primitive("laugh", ("laugh", "burst out laughing", "laugh heartily", "break into laughter"),
              _pose(_both("mouthSmile", 0.85), _both("cheekSquint", 0.5),
                    _both("eyeSquint", 0.4), _both("mouthUpperUp", 0.3), jawOpen=0.3),
              timing=(0.3, 1.4, 0.5), emotion="happy",
              wobble=(Wobble("jawOpen", 0.18, 4.5), Wobble("headPitch", -0.04, 4.5))),
    Primitive("frown", ("frown", "look sad", "turn the corners of {their} mouth down",
                        "make a sad face"),
              _pose(_both("mouthFrown", 0.7), _both("browDown", 0.15), browInnerUp=0.5,
                    mouthShrugLower=0.3), emotion="sad"),
    Primitive("pout", ("pout", "push out {their} lower lip", "sulk with a pout", "make a pout"),
              _pose(_both("mouthFrown", 0.3), mouthPucker=0.45, mouthShrugLower=0.55,
                    mouthShrugUpper=0.2), emotion="sad"),
    Primitive("surprise", ("look surprised", "show surprise", "look astonished",
                           "gasp in surprise"),
              _pose(_both("browOuterUp", 0.8), _both("eyeWide", 0.8), browInnerUp=0.9,
                    jawOpen=0.45, mouthFunnel=0.15), timing=(0.15, 1.0, 0.5),
              emotion="surprised"),
    Primitive("anger", ("look angry", "scowl angrily", "glare in anger", "show anger"),
              _pose(_both("browDown", 0.85), _both("eyeSquint", 0.4), _both("noseSneer", 0.3),
                    _both("mouthPress", 0.4), _both("mouthFrown", 0.3), jawForward=0.1),
              emotion="angry"),
    Primitive("disgust", ("look disgusted", "wrinkle {their} nose in disgust", "show disgust",
                          "grimace in disgust"),
              _pose(_both("noseSneer", 0.8), _both("mouthUpperUp", 0.6), _both("browDown", 0.4),
                    _both("cheekSquint", 0.3), _both("mouthFrown", 0.2), _both("eyeSquint", 0.2)),
              emotion="disgusted"),
    Primitive("fear", ("look afraid", "look frightened", "show fear", "look scared"),
              _pose(_both("browOuterUp", 0.3), _both("eyeWide", 0.9), _both("mouthStretch", 0.6),
                    browInnerUp=0.85, jawOpen=0.2), emotion="fearful"),
    Primitive("smirk", ("smirk on the {side} side", "give a {side}-sided smirk",
                        "smirk with the {side} corner of {their} mouth",
                        "raise the {side} corner of {their} mouth in a smirk"),
              _pose(mouthSmileLeft=0.6, mouthDimpleLeft=0.25, cheekSquintLeft=0.2, mouthLeft=0.15),
              emotion="contempt", sided=True),
    Primitive("blink", ("blink", "blink {their} eyes", "bat {their} eyelids",
                        "shut {their} eyes briefly"),
              _pose(_both("eyeBlink", 1.0)), kind="pulse", timing=_BLINK_TIMING,
              repeatable=True, intensity="moderate", saturates=True),
    Primitive("wink", ("wink {their} {side} eye", "wink with the {side} eye",
                       "close {their} {side} eye in a wink", "shut only {their} {side} eye briefly"),
              _pose(eyeBlinkLeft=1.0, cheekSquintLeft=0.15), kind="pulse",
              timing=(0.12, 0.2, 0.2), sided=True, repeatable=True,
              intensity="moderate", saturates=True),
    Primitive("squint", ("squint", "narrow {their} eyes", "squint {their} eyes",
                         "peer with narrowed eyes"),
              _pose(_both("eyeSquint", 0.85), _both("eyeBlink", 0.3), _both("cheekSquint", 0.3),
                    _both("browDown", 0.2))),
    Primitive("raise_brows", ("raise {their} eyebrows", "lift {their} brows",
                              "raise both eyebrows", "lift {their} eyebrows"),
              _pose(_both("browOuterUp", 0.85), _both("eyeWide", 0.15), browInnerUp=0.85),
              kind="pulse", timing=(0.2, 0.5, 0.3), repeatable=True),
    Primitive("furrow_brows", ("furrow {their} brows", "knit {their} eyebrows",
                               "draw {their} brows together", "lower {their} eyebrows"),
              _pose(_both("browDown", 0.9), _both("eyeSquint", 0.15))),
    Primitive("raise_one_brow", ("raise {their} {side} eyebrow", "lift the {side} brow",
                                 "arch {their} {side} eyebrow", "raise only {their} {side} eyebrow"),
              _pose(browOuterUpLeft=0.9, eyeWideLeft=0.15, browDownRight=0.15, browInnerUp=0.25),
              kind="pulse", timing=(0.25, 0.6, 0.35), sided=True, repeatable=True),
    Primitive("open_mouth", ("open {their} mouth", "drop {their} jaw", "open {their} mouth wide",
                             "part {their} lips widely"),
              _pose(_both("mouthLowerDown", 0.3), _both("mouthUpperUp", 0.1), jawOpen=0.75),
              kind="pulse", timing=(0.3, 0.6, 0.35), repeatable=True),
    Primitive("yawn", ("yawn", "give a big yawn", "yawn widely", "let out a yawn"),
              _pose(_both("eyeBlink", 0.55), _both("mouthStretch", 0.3), jawOpen=0.95,
                    mouthFunnel=0.25, browInnerUp=0.35, headPitch=-0.1),
              timing=(0.8, 1.2, 0.8)),
    Primitive("pucker", ("pucker {their} lips", "purse {their} lips", "make a kissing face",
                         "pucker up"),
              _pose(mouthPucker=0.9, mouthFunnel=0.3), kind="pulse", timing=(0.25, 0.6, 0.3),
              repeatable=True),
    Primitive("puff_cheeks", ("puff out {their} cheeks", "puff {their} cheeks",
                              "blow up {their} cheeks", "fill {their} cheeks with air"),
              _pose(cheekPuff=0.9, mouthClose=0.3, mouthPucker=0.1),
              kind="pulse", timing=(0.3, 0.7, 0.35), repeatable=True),
    Primitive("press_lips", ("press {their} lips together", "tighten {their} lips",
                             "compress {their} lips", "press {their} lips into a thin line"),
              _pose(_both("mouthPress", 0.85), mouthRollLower=0.35, mouthRollUpper=0.3,
                    mouthClose=0.1)),
    Primitive("tongue_out", ("stick out {their} tongue", "put out {their} tongue",
                             "poke {their} tongue out", "show {their} tongue"),
              _pose(_both("mouthLowerDown", 0.3), tongueOut=0.95, jawOpen=0.3)),
    Primitive("look_left", ("look to the left", "glance left", "turn {their} eyes to the left",
                            "look left"),
              _pose(eyeLookOutLeft=0.8, eyeLookInRight=0.8, leftEyeYaw=_GAZE_YAW,
                    rightEyeYaw=_GAZE_YAW), timing=(0.12, 0.9, 0.2)),
    Primitive("look_right", ("look to the right", "glance right", "turn {their} eyes to the right",
                             "look right"),
              _pose(eyeLookInLeft=0.8, eyeLookOutRight=0.8, leftEyeYaw=-_GAZE_YAW,
                    rightEyeYaw=-_GAZE_YAW), timing=(0.12, 0.9, 0.2)),
    Primitive("look_up", ("look up", "glance upward", "turn {their} eyes upward", "gaze upward"),
              _pose(_both("eyeLookUp", 0.75), browInnerUp=0.1, leftEyePitch=-_GAZE_PITCH,
                    rightEyePitch=-_GAZE_PITCH), timing=(0.12, 0.9, 0.2)),
    Primitive("look_down", ("look down", "glance downward", "turn {their} eyes downward",
                            "gaze downward"),
              _pose(_both("eyeLookDown", 0.75), _both("eyeBlink", 0.15),
                    leftEyePitch=_GAZE_PITCH, rightEyePitch=_GAZE_PITCH),
              timing=(0.12, 0.9, 0.2)),
    Primitive("nod", ("nod", "nod {their} head", "bob {their} head up and down",
                      "dip {their} head in a nod"),
              _pose(headPitch=0.25), kind="pulse", timing=(0.22, 0.05, 0.28),
              repeatable=True, head_motion="nod"),
    Primitive("shake_head", ("shake {their} head", "shake {their} head no",
                             "turn {their} head from side to side",
                             "shake {their} head from side to side"),
              _pose(headYaw=0.3), kind="cycle", timing=(0.12, 0.6, 0.12),
              repeatable=True, head_motion="shake"),
    Primitive("tilt_head", ("tilt {their} head to the {side}", "lean {their} head to the {side}",
                            "cock {their} head to the {side}", "tip {their} head {side}"),
              _pose(headRoll=-0.25), timing=(0.35, 1.0, 0.4), sided=True, head_motion="tilt"),
)

PRIMITIVES: Mapping[str, Primitive] = MappingProxyType({p.name: p for p in _ALL})
