"""Motion formats: which channels a facial motion has, their groups and left/right pairs.

Two formats exist:

- ``arkit61``: Apple ARKit's 52 blendshapes in the Live Link Face / Express4D CSV order, then head
  yaw/pitch/roll and left/right eye yaw/pitch/roll (Euler angles as the app records them).
  Native 60 fps.
- ``flame``: FLAME parameters. ``expr_0..expr_{N-1}`` (N = 50 default, 100 allowed), ``jaw_0..2``
  (axis-angle), ``head_0..2`` (global/neck axis-angle), optional ``eye_0..5`` (left eye 0..2,
  right eye 3..5, as smplx's ``eye_pose``) and optional ``eyelid_0..1`` (SMIRK: left, right).
  Native 25 fps (the TDMM-LM corpus).

Mirroring flips the face about its vertical mid-plane (x -> -x in FLAME's frame): left/right
channels swap, and rotations keep their x component (pitch) and negate y and z (yaw and roll).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tdmm_lm.errors import TdmmError

# Live Link Face CSV order (not Apple's documentation order: JawRight comes before JawLeft and
# MouthRight before MouthLeft). CSV headers are these names with the first letter upper-cased.
ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthRight", "mouthLeft",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
# Apple's documentation order (ARKit's ARFaceAnchor list, used by rigs such as ICT-FaceKit's):
# the CSV order with jaw and mouth Left/Right swapped back.
_CSV_TO_APPLE_SWAPS = {"jawRight": "jawLeft", "jawLeft": "jawRight",
                       "mouthRight": "mouthLeft", "mouthLeft": "mouthRight"}
ARKIT_BLENDSHAPES_APPLE_ORDER: tuple[str, ...] = tuple(
    _CSV_TO_APPLE_SWAPS.get(name, name) for name in ARKIT_BLENDSHAPES)
ARKIT_ROTATIONS: tuple[str, ...] = (
    "headYaw", "headPitch", "headRoll",
    "leftEyeYaw", "leftEyePitch", "leftEyeRoll", "rightEyeYaw", "rightEyePitch", "rightEyeRoll",
)
ARKIT61_CHANNELS: tuple[str, ...] = ARKIT_BLENDSHAPES + ARKIT_ROTATIONS

FLAME_EXPRESSION_SIZES = (50, 100)


@dataclass(frozen=True)
class MotionFormat:
    """A family of channel layouts with one meaning per channel name.

    ``channels`` is the canonical layout; a motion may carry another valid layout of the same
    format (FLAME with 100 expressions, or with eyes), checked by ``validate_channels``.
    """

    name: str
    native_fps: float
    channels: tuple[str, ...]
    description: str
    _group_rules: tuple[tuple[str, str], ...] = field(repr=False, default=())

    def group(self, channel: str) -> str:
        """The region a channel belongs to (``brows``, ``eyes``, ``mouth``, ``jaw``, ``head``...)."""
        for pattern, group in self._group_rules:
            if re.fullmatch(pattern, channel):
                return group
        raise TdmmError(f"channel {channel!r} is not part of the {self.name} format")

    def groups(self, channels: tuple[str, ...] | None = None) -> dict[str, list[int]]:
        """Channel indices per group, in first-seen order, for ``channels`` (default canonical)."""
        out: dict[str, list[int]] = {}
        for i, name in enumerate(channels or self.channels):
            out.setdefault(self.group(name), []).append(i)
        return out

    def mirror_partner(self, channel: str) -> str:
        """The channel that plays this one's role on the other side of the face (or itself)."""
        if self.name == "arkit61":
            for a, b in (("Left", "Right"), ("left", "right")):
                if a in channel:
                    return channel.replace(a, b)
                if b in channel:
                    return channel.replace(b, a)
            return channel
        m = re.fullmatch(r"eye_(\d)", channel)
        if m:
            i = int(m.group(1))
            return f"eye_{(i + 3) % 6}"
        return {"eyelid_0": "eyelid_1", "eyelid_1": "eyelid_0"}.get(channel, channel)

    def mirror_pairs(self, channels: tuple[str, ...] | None = None) -> list[tuple[int, int]]:
        """Index pairs ``(left, right)`` in ``channels`` (default canonical) of the channels that
        swap under mirroring without a sign flip: their difference is how lopsided a face is."""
        channels = tuple(channels or self.channels)
        index = {c: i for i, c in enumerate(channels)}
        pairs = []
        for i, c in enumerate(channels):
            j = index.get(self.mirror_partner(c))
            if j is not None and i < j and self.mirror_sign(c) > 0:
                pairs.append((i, j))
        return pairs

    def mirror_sign(self, channel: str) -> float:
        """-1 for rotation components that flip under mirroring (yaw and roll), else +1."""
        if self.name == "arkit61":
            return -1.0 if channel.endswith(("Yaw", "Roll")) else 1.0
        m = re.fullmatch(r"(jaw|head|eye)_(\d)", channel)
        if m:  # axis-angle: x (pitch) keeps its sign, y (yaw) and z (roll) flip
            return 1.0 if int(m.group(2)) % 3 == 0 else -1.0
        return 1.0

    def validate_channels(self, channels: tuple[str, ...]) -> None:
        """Raise ``TdmmError`` unless ``channels`` is a layout this format allows."""
        if self.name == "arkit61":
            if tuple(channels) != self.channels:
                missing = [c for c in self.channels if c not in channels]
                extra = [c for c in channels if c not in self.channels]
                raise TdmmError(
                    f"arkit61 motion must have the 61 channels in canonical order "
                    f"(missing {missing[:3]}, unknown {extra[:3]})")
            return
        expected = flame_channels(*_flame_layout(channels))
        if tuple(channels) != expected:
            raise TdmmError(
                "flame motion channels must be expr_0..expr_{N-1} (N = 50 or 100), jaw_0..2, "
                "head_0..2, then optionally eye_0..5 and eyelid_0..1, in that order")


def flame_channels(n_expression: int = 50, eyes: bool = False, eyelids: bool = False
                   ) -> tuple[str, ...]:
    """The ``flame`` channel layout for ``n_expression`` coefficients and optional eyes/eyelids."""
    if n_expression not in FLAME_EXPRESSION_SIZES:
        raise TdmmError(f"FLAME expression size must be one of {FLAME_EXPRESSION_SIZES}, "
                        f"got {n_expression}")
    names = [f"expr_{i}" for i in range(n_expression)]
    names += [f"jaw_{i}" for i in range(3)] + [f"head_{i}" for i in range(3)]
    if eyes:
        names += [f"eye_{i}" for i in range(6)]
    if eyelids:
        names += [f"eyelid_{i}" for i in range(2)]
    return tuple(names)


def channels_for(format: str, num_channels: int) -> tuple[str, ...]:
    """The channel layout of ``format`` with ``num_channels`` channels (datasets store only D)."""
    if format == "arkit61" and num_channels == len(ARKIT61_CHANNELS):
        return ARKIT61_CHANNELS
    if format == "flame":
        for n in FLAME_EXPRESSION_SIZES:
            for eyes in (False, True):
                for eyelids in (False, True):
                    names = flame_channels(n, eyes=eyes, eyelids=eyelids)
                    if len(names) == num_channels:
                        return names
    raise TdmmError(f"no {format} channel layout has {num_channels} channels")


def _flame_layout(channels: tuple[str, ...]) -> tuple[int, bool, bool]:
    n_expression = sum(1 for c in channels if c.startswith("expr_"))
    if n_expression not in FLAME_EXPRESSION_SIZES:
        raise TdmmError(f"flame motion has {n_expression} expression channels; "
                        f"expected one of {FLAME_EXPRESSION_SIZES}")
    return (n_expression, any(c.startswith("eye_") for c in channels),
            any(c.startswith("eyelid_") for c in channels))


ARKIT61 = MotionFormat(
    name="arkit61",
    native_fps=60.0,
    channels=ARKIT61_CHANNELS,
    description="52 ARKit blendshapes (Live Link Face CSV order) + head and eye Euler angles",
    _group_rules=(
        (r"eye(Blink|Squint|Wide)(Left|Right)", "eyelids"),
        (r"eyeLook\w+", "gaze"),
        (r"jaw\w+", "jaw"),
        (r"mouth\w+", "mouth"),
        (r"brow\w+", "brows"),
        (r"cheek\w+", "cheeks"),
        (r"nose\w+", "nose"),
        (r"tongueOut", "tongue"),
        (r"head(Yaw|Pitch|Roll)", "head"),
        (r"(left|right)Eye(Yaw|Pitch|Roll)", "eye_rotation"),
    ),
)

FLAME = MotionFormat(
    name="flame",
    native_fps=25.0,
    channels=flame_channels(50),
    description="FLAME expression coefficients + jaw and head axis-angle (+ eyes, eyelids)",
    _group_rules=(
        (r"expr_\d+", "expression"),
        (r"jaw_[0-2]", "jaw"),
        (r"head_[0-2]", "head"),
        (r"eye_[0-5]", "eye_rotation"),
        (r"eyelid_[01]", "eyelids"),
    ),
)

FORMATS: dict[str, MotionFormat] = {f.name: f for f in (ARKIT61, FLAME)}


def get_format(name: str | MotionFormat) -> MotionFormat:
    """Look a format up by name (``arkit61`` or ``flame``); formats pass through."""
    if isinstance(name, MotionFormat):
        return name
    try:
        return FORMATS[name]
    except KeyError:
        raise TdmmError(f"unknown motion format {name!r}; choose one of {sorted(FORMATS)}") from None
