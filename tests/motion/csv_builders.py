"""Build Live Link Face CSV text in tests independently of the code under test."""

from __future__ import annotations

import numpy as np

APP_HEADER = ("Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
              "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
              "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
              "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
              "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
              "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
              "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
              "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,"
              "BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,"
              "NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,"
              "LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll")


def timecode(seconds_total: float) -> str:
    """``HH:MM:SS:FF.sss`` on a 60-per-second frame base."""
    whole = int(seconds_total)
    ff = (seconds_total - whole) * 60
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:06.3f}"


def take_csv(values: np.ndarray, fps: float = 60.0, start: float = 3600.0,
             count: int = 61) -> str:
    """CSV text of ``values[T, 61]`` (app column order) at ``fps``."""
    lines = [APP_HEADER]
    for i, row in enumerate(values):
        cells = ",".join(f"{v:.10f}" for v in row)
        lines.append(f"{timecode(start + i / fps)},{count},{cells}")
    return "\n".join(lines) + "\n"


def random_values(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, size=(frames, 61))
    values[:, 52:] = rng.uniform(-0.3, 0.3, size=(frames, 9))  # head and eye angles
    return values


def lose_tracking(text: str, rows: range | list[int], *, full_width: bool = False) -> str:
    """``text`` with data rows ``rows`` (0-based) replaced by the app's tracking-loss row:
    ``Timecode,0`` and nothing else (or, ``full_width``, the 61 value cells left empty)."""
    lines = text.splitlines()
    for r in rows:
        tc = lines[r + 1].split(",")[0]
        lines[r + 1] = f"{tc},0" + ("," * 61 if full_width else "")
    return "\n".join(lines) + "\n"


def app_order() -> list[str]:
    """The ARKit (lowerCamelCase) names of the 61 value columns, in the app's column order."""
    return [h[0].lower() + h[1:] for h in APP_HEADER.split(",")[2:]]
