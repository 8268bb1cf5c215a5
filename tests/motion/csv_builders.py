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
