"""Live Link Face CSV: the format Epic's iPhone app writes and Express4D ships.

Header: ``Timecode,BlendShapeCount,EyeBlinkLeft,...,RightEyeRoll`` (61 value columns). Columns
are matched by name, never by position (the app writes JawRight before JawLeft). ``Timecode`` is
``HH:MM:SS:FF.sss`` with FF the frame within the second on a 60-per-second base and ``.sss`` a
sub-frame fraction; plain seconds are accepted too. The frame rate is inferred from the timecodes.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from tdmm_lm.errors import MotionFileError
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS
from tdmm_lm.motion.types import Motion

TIMECODE_BASE = 60  # Live Link Face counts frames within a second on a 60 fps base
BLENDSHAPE_COUNT = 61
# Frame rates a capture app writes; an inferred rate within 2% of one of these snaps to it.
STANDARD_FPS = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 100.0, 120.0)
MAX_FRAMES = 60 * 60 * 60  # one hour at 60 fps: longer is a broken export, not a take
_TIMECODE = re.compile(r"(\d+):(\d{2}):(\d{2}):(\d+(?:\.\d+)?)")


def csv_header() -> list[str]:
    """The app's header: ``Timecode``, ``BlendShapeCount`` and the 61 capitalised channel names."""
    return ["Timecode", "BlendShapeCount"] + [c[0].upper() + c[1:] for c in ARKIT61_CHANNELS]


def read_csv(path: str | Path, *, fps: float | None = None) -> Motion:
    """Read a Live Link Face CSV into an ``arkit61`` Motion.

    ``fps`` overrides the rate inferred from the timecodes. Timecode strings are kept in
    ``meta["timecodes"]`` so that writing the motion back reproduces them.
    """
    path = Path(path)
    text = _read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise MotionFileError(path, "file is empty (no header line)", row=1)
    header = [h.strip() for h in rows[0]]
    order = _column_order(path, header)
    body = rows[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()  # trailing blank lines are not frames
    if not body:
        raise MotionFileError(path, "no frames after the header (zero-length take)", row=2)
    if len(body) > MAX_FRAMES:
        raise MotionFileError(path, f"{len(body)} frames is more than the {MAX_FRAMES}-frame limit "
                              "(one hour at 60 fps); split the take")
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise MotionFileError(path, f"has {len(row)} fields, the header has {len(header)} "
                                  "(truncated or malformed line)", row=i + 2)
    values = _parse_values(path, header, body)
    count_col = header.index("BlendShapeCount")
    bad = np.flatnonzero(values[:, count_col] != BLENDSHAPE_COUNT)
    if bad.size:
        raise MotionFileError(path, f"BlendShapeCount is {body[bad[0]][count_col].strip()}, "
                              f"expected {BLENDSHAPE_COUNT}", row=int(bad[0]) + 2,
                              column="BlendShapeCount")
    timecodes = [row[0].strip() for row in body]
    seconds = _timecode_seconds(path, timecodes)
    if fps is None:
        fps = infer_fps(path, seconds)
    return Motion(values[:, order], fps, ARKIT61, ARKIT61_CHANNELS,
                  meta={"source": str(path), "timecodes": timecodes})


def write_csv(motion: Motion, path: str | Path) -> None:
    """Write an ``arkit61`` motion with the app's header, timecodes and 10-decimal values.

    Timecodes come from ``meta["timecodes"]`` when they match the frame count (a round trip keeps
    them); otherwise they are generated from the motion's fps starting at 00:00:00:00.000.
    """
    path = Path(path)
    if motion.format is not ARKIT61:
        raise MotionFileError(path, f"Live Link Face CSV holds arkit61 motion, not "
                              f"{motion.format.name}; save it as .npz")
    timecodes = motion.meta.get("timecodes")
    if timecodes is None or len(timecodes) != motion.num_frames:
        timecodes = make_timecodes(motion.num_frames, motion.fps)
    lines = [",".join(csv_header())]
    fmt = ",".join(["%.10f"] * motion.data.shape[1])
    for tc, row in zip(timecodes, motion.data.astype(np.float64)):
        lines.append(f"{tc},{BLENDSHAPE_COUNT}," + fmt % tuple(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_timecodes(num_frames: int, fps: float) -> list[str]:
    """``HH:MM:SS:FF.sss`` strings for frames at ``fps``, on the app's 60-per-second base."""
    out = []
    for i in range(num_frames):
        t = i / fps
        whole = int(t)
        frames = (t - whole) * TIMECODE_BASE
        hh, mm, ss = whole // 3600, whole // 60 % 60, whole % 60
        out.append(f"{hh:02d}:{mm:02d}:{ss:02d}:{frames:06.3f}")
    return out


def infer_fps(path: str | Path, seconds: np.ndarray) -> float:
    """Frame rate from frame times: the median step, snapped to a standard rate within 2%."""
    steps = np.diff(seconds)
    steps = steps[steps > 0]  # the app repeats the first timecode once; equal stamps carry no rate
    if steps.size == 0:
        raise MotionFileError(path, "cannot infer the frame rate: fewer than two distinct "
                              "timecodes (pass fps explicitly)")
    fps = 1.0 / float(np.median(steps))
    for standard in STANDARD_FPS:
        if abs(fps - standard) <= 0.02 * standard:
            return standard
    return round(fps, 3)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MotionFileError(path, f"cannot read file ({e.strerror})") from None
    if not raw.strip():
        raise MotionFileError(path, "file is empty")
    if b"\x00" in raw[:4096]:
        raise MotionFileError(path, "binary data, not a CSV text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise MotionFileError(path, f"not UTF-8 text (byte {e.start}); is this a CSV?") from None


def _column_order(path: Path, header: list[str]) -> np.ndarray:
    """Indices of the 61 channels in the file, in canonical order, matched by name."""
    if header[:2] != ["Timecode", "BlendShapeCount"]:
        raise MotionFileError(path, "header must start with 'Timecode,BlendShapeCount' (a Live "
                              f"Link Face CSV); found {','.join(header[:2])!r}", row=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(header[2:], start=2):
        key = name[:1].lower() + name[1:]
        if key not in ARKIT61_CHANNELS:
            raise MotionFileError(path, "unknown column (not an ARKit blendshape or rotation)",
                                  row=1, column=name)
        if key in seen:
            raise MotionFileError(path, "column appears twice", row=1, column=name)
        seen[key] = i
    missing = [c[0].upper() + c[1:] for c in ARKIT61_CHANNELS if c not in seen]
    if missing:
        raise MotionFileError(path, f"missing {len(missing)} of the 61 columns: "
                              f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}", row=1)
    return np.array([seen[c] for c in ARKIT61_CHANNELS])


def _parse_values(path: Path, header: list[str], body: list[list[str]]) -> np.ndarray:
    """All columns but Timecode as float64 ``[T, C]`` (column 0 is left NaN)."""
    cells = np.array([row[1:] for row in body], dtype=object)
    try:
        values = cells.astype(np.float64)
    except ValueError:
        for r, row in enumerate(body):  # slow path only to name the bad cell
            for c, cell in enumerate(row[1:], start=1):
                try:
                    float(cell)
                except ValueError:
                    raise MotionFileError(path, f"{cell.strip()!r} is not a number", row=r + 2,
                                          column=header[c]) from None
        raise
    finite = np.isfinite(values)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise MotionFileError(path, f"value {body[r][c + 1].strip()} is not finite", row=int(r) + 2,
                              column=header[c + 1])
    return np.concatenate([np.full((len(body), 1), np.nan), values], axis=1)


def _timecode_seconds(path: Path, timecodes: list[str]) -> np.ndarray:
    seconds = np.empty(len(timecodes))
    for i, tc in enumerate(timecodes):
        m = _TIMECODE.fullmatch(tc)
        if m:
            hh, mm, ss, ff = int(m[1]), int(m[2]), int(m[3]), float(m[4])
            if mm > 59 or ss > 59 or ff >= TIMECODE_BASE:
                raise MotionFileError(path, f"timecode {tc!r} is out of range", row=i + 2,
                                      column="Timecode")
            seconds[i] = hh * 3600 + mm * 60 + ss + ff / TIMECODE_BASE
        else:
            try:
                seconds[i] = float(tc)  # some exports write plain seconds
            except ValueError:
                raise MotionFileError(path, f"timecode {tc!r} is neither HH:MM:SS:FF.sss nor "
                                      "seconds", row=i + 2, column="Timecode") from None
    steps = np.diff(seconds)
    wrapped = steps < -12 * 3600  # a take that runs past midnight
    if wrapped.any():
        seconds[1:] += 24 * 3600 * np.cumsum(wrapped)
        steps = np.diff(seconds)
    back = np.flatnonzero(steps < 0)
    if back.size:
        r = int(back[0]) + 1
        raise MotionFileError(path, f"timecode {timecodes[r]!r} goes back in time from "
                              f"{timecodes[r - 1]!r} (non-monotonic)", row=r + 2, column="Timecode")
    return seconds
