"""Live Link Face CSV: the format Epic's iPhone app writes and Express4D ships.

Header: ``Timecode,BlendShapeCount,EyeBlinkLeft,...,RightEyeRoll`` (61 value columns). Columns
are matched by name, never by position (the app writes JawRight before JawLeft). ``Timecode`` is
``HH:MM:SS:FF.sss`` with FF the frame within the second on a 60-per-second base and ``.sss`` a
sub-frame fraction; plain seconds are accepted too. The frame rate is inferred from the timecodes.

Real exports also carry: ``BlendshapeCount`` (current app) or ``BlendShapeCount`` (older; every
header name is matched without regard to case), CRLF line ends, a UTF-8 BOM, tracking-loss rows
``Timecode,0`` with no values, timecodes that skip a frame or repeat one, takes that run past
midnight, and a last line cut short when the export was interrupted (reported, not read). Frames
are placed on the timeline the timecodes define and missing ones follow a ``GapPolicy``
(``motion/gaps.py``). The file is streamed line by line under the limits of ``tdmm_lm/limits.py``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from tdmm_lm.errors import MotionFileError
from tdmm_lm.limits import check_limit, limit
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS
from tdmm_lm.motion.gaps import Gap, GapPolicy, apply_policy, find_gaps
from tdmm_lm.motion.gaps import report as gap_report
from tdmm_lm.motion.types import Motion

TIMECODE_BASE = 60  # Live Link Face counts frames within a second on a 60 fps base
BLENDSHAPE_COUNT = 61
# Frame rates a capture app writes; an inferred rate within 2% of one of these snaps to it.
STANDARD_FPS = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 100.0, 120.0)
_TIMECODE = re.compile(r"(\d+):(\d{2}):(\d{2}):(\d+(?:\.\d+)?)")


def csv_header() -> list[str]:
    """The app's header: ``Timecode``, ``BlendShapeCount`` and the 61 capitalised channel names."""
    return ["Timecode", "BlendShapeCount"] + [c[0].upper() + c[1:] for c in ARKIT61_CHANNELS]


@dataclass
class _Rows:
    """What streaming the file found: tracked frames, tracking-loss rows, the final partial line."""

    header: list[str]
    order: np.ndarray                                     # value-cell index of each channel
    timecodes: list[str] = field(default_factory=list)   # every data row, in file order
    lines: list[int] = field(default_factory=list)       # its 1-based file line
    lost: list[bool] = field(default_factory=list)       # True: a ``Timecode,0`` row
    cells: list[list[str]] = field(default_factory=list)  # value cells of the tracked rows
    truncated_line: int | None = None


def read_csv(path: str | Path, *, fps: float | None = None,
             gaps: GapPolicy = GapPolicy()) -> Motion:
    """Read a Live Link Face CSV into one ``arkit61`` Motion (see ``read_pieces``).

    A take that ``gaps`` splits into several pieces is refused with one line that says how to
    get the pieces (``--gaps split`` / ``load_pieces``) or one motion (``--gaps fill``).
    """
    pieces = read_pieces(path, fps=fps, gaps=gaps)
    if len(pieces) > 1:
        report = pieces[0].meta["gaps"]
        longest = max((g for g in report["gaps"] if g["action"] == "split"),
                      key=lambda g: g["frames"])
        raise MotionFileError(path, f"tracking lost for {longest['seconds']:g} s "
                              f"{longest['where']} (over --max-gap {gaps.max_gap:g} s), so the "
                              f"take splits into {len(pieces)} pieces; pass --gaps split "
                              "(motion.load_pieces) for the pieces or --gaps fill to interpolate")
    return pieces[0]


def read_pieces(path: str | Path, *, fps: float | None = None,
                gaps: GapPolicy = GapPolicy()) -> list[Motion]:
    """Read a Live Link Face CSV into one ``arkit61`` Motion per tracked piece of the take.

    Frames sit on the timeline the timecodes define (rate inferred, see ``infer_fps``); missing
    frames (tracking-loss rows, skipped timecodes) are filled, split or refused by ``gaps``
    (``motion/gaps.py``). Each piece's ``meta`` holds ``timecodes`` (so writing it back
    reproduces them), ``gaps`` (the whole take's account of every missing frame and of a
    truncated final line) and, for a split take, ``piece`` (1-based) and ``pieces``.
    ``fps`` relabels the result; the timeline still comes from the timecodes.
    """
    path = Path(path)
    rows = _stream_rows(path)
    frame_rows = np.flatnonzero(~np.asarray(rows.lost))
    if frame_rows.size == 0:
        raise MotionFileError(path, f"no tracked frame: all {len(rows.lost)} rows are "
                              "tracking-loss rows (Timecode,0)")
    values = _parse_values(path, rows, frame_rows)[:, rows.order]
    seconds = _timecode_seconds(path, rows.timecodes, rows.lines)
    rate = infer_fps(path, seconds) if fps is None or np.ptp(seconds) > 0 else fps
    slots = _timeline(path, seconds, rate)
    total = int(slots[-1]) + 1
    data = np.full((total, values.shape[1]), np.nan)
    data[slots[frame_rows]] = values
    present = np.zeros(total, bool)
    present[slots[frame_rows]] = True
    found = [_describe_gap(rows, slots, start, stop) for start, stop in find_gaps(present)]
    spans = apply_policy(data, found, rate, gaps, source=str(path))
    report = gap_report(found, gaps, rate, spans, rows=len(rows.lost),
                        frames_read=int(frame_rows.size), lost_rows=int(sum(rows.lost)),
                        skipped_frames=total - len(rows.lost),
                        repeated_timecodes=int((np.diff(seconds) == 0).sum()),
                        truncated_line=rows.truncated_line)
    stamps = _slot_timecodes(rows.timecodes, seconds, slots, total, rate)
    out = []
    for i, (start, stop) in enumerate(spans, start=1):
        meta = {"source": str(path), "timecodes": stamps[start:stop], "gaps": report}
        if len(spans) > 1:
            meta.update(piece=i, pieces=len(spans))
        out.append(Motion(data[start:stop], fps or rate, ARKIT61, ARKIT61_CHANNELS, meta=meta))
    return out


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
    return [format_timecode(i / fps) for i in range(num_frames)]


def format_timecode(seconds: float) -> str:
    """``HH:MM:SS:FF.sss`` of a time of day in seconds (past midnight wraps to 00:...)."""
    whole = int(seconds)
    frames = (seconds - whole) * TIMECODE_BASE
    hh, mm, ss = whole // 3600 % 24, whole // 60 % 60, whole % 60
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{frames:06.3f}"


def infer_fps(path: str | Path, seconds: np.ndarray) -> float:
    """Frame rate from frame times: the median step, snapped to a standard rate within 2%."""
    steps = np.diff(seconds)
    steps = steps[steps > 0]  # the app repeats the first timecode once; equal stamps carry no rate
    if steps.size == 0:
        raise MotionFileError(path, "cannot infer the frame rate: fewer than two distinct "
                              "timecodes (pass fps explicitly)")
    fps = 1.0 / float(np.median(steps))
    if not 1.0 <= fps <= limit("fps"):   # below 1 fps the timecodes are not frame times
        raise MotionFileError(path, f"the timecodes give {fps:.4g} frames per second (median "
                              f"step {np.median(steps):.4g} s), not a capture rate; check the "
                              "Timecode column or pass fps explicitly")
    for standard in STANDARD_FPS:
        if abs(fps - standard) <= 0.02 * standard:
            return standard
    return round(fps, 3)


def _stream_lines(path: Path) -> Iterator[str]:
    """The file's lines without line ends (CRLF or LF; a UTF-8 BOM dropped), each checked
    against the resource limits before it is kept, so a huge file is refused early."""
    try:
        size = path.stat().st_size
        check_limit("file_bytes", size, f"{path}: file size in bytes")
        with open(path, "rb") as f:
            if b"\x00" in f.read(4096):
                raise MotionFileError(path, "binary data, not a CSV text file")
            f.seek(0)
            max_line = int(limit("csv_line_bytes"))
            n = 0
            # readline with a bound: a huge single-line file is refused after max_line bytes
            while raw := f.readline(max_line + 1):
                n += 1
                if len(raw) > max_line and not raw.endswith(b"\n"):
                    raise MotionFileError(path, f"line longer than {max_line} bytes (a Live Link "
                                          "Face row is about 1 kB; is this a CSV take?); set "
                                          "TDMM_MAX_CSV_LINE_BYTES to allow more", row=n)
                try:
                    yield raw.decode("utf-8-sig" if n == 1 else "utf-8").rstrip("\r\n")
                except UnicodeDecodeError as e:
                    raise MotionFileError(path, f"not UTF-8 text (byte {e.start} of the line); "
                                          "is this a CSV?", row=n) from None
    except OSError as e:
        raise MotionFileError(path, f"cannot read file ({e.strerror})") from None


def _stream_rows(path: Path) -> _Rows:
    """Parse the header and every row, one line at a time (see ``_Rows``)."""
    # the csv module refuses fields over its own limit (128 kB) with a traceback: a line the
    # csv_line_bytes limit lets through must pass there too
    csv.field_size_limit(max(csv.field_size_limit(), int(limit("csv_line_bytes"))))
    reader = csv.reader(_stream_lines(path))
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise MotionFileError(path, "file is empty (no header line)", row=1)
    rows, max_rows = _Rows(header, _column_order(path, header)), limit("motion_frames")
    blank = short = None   # a blank or short line is fine only at the very end
    for row in reader:
        n = reader.line_num
        if not any(cell.strip() for cell in row):
            blank = blank or n
            continue
        if short is not None:
            _refuse_short(path, header, *short)
        if blank is not None:
            raise MotionFileError(path, "blank line inside the take", row=blank)
        if _is_tracking_loss(row):
            rows.lost.append(True)
        elif len(row) == len(header):
            rows.lost.append(False)
            rows.cells.append(row[1:])
        elif len(row) < len(header):
            short = (n, len(row))   # a truncated last line; refused if any row follows
            continue
        else:
            _refuse_short(path, header, n, len(row))
        rows.timecodes.append(row[0].strip())
        rows.lines.append(n)
        if len(rows.lines) > max_rows:
            raise MotionFileError(path, f"more than {max_rows:g} frames, the motion_frames limit; "
                                  "split the take or set TDMM_MAX_MOTION_FRAMES", row=n)
    if short is not None:
        rows.truncated_line = short[0]
    if not rows.lines:
        raise MotionFileError(path, "no frames after the header (zero-length take)", row=2)
    return rows


def _refuse_short(path: Path, header: list[str], line: int, fields: int):
    raise MotionFileError(path, f"has {fields} fields, the header has {len(header)} "
                          "(truncated or malformed line)", row=line)


def _is_tracking_loss(row: list[str]) -> bool:
    """The app's row for a frame without a face: ``Timecode,0`` and nothing else."""
    return (len(row) >= 2 and row[1].strip() == "0"
            and not any(cell.strip() for cell in row[2:]))


def _column_order(path: Path, header: list[str]) -> np.ndarray:
    """Indices (into the value cells) of the 61 channels in canonical order, matched by name
    without regard to case (current apps write ``BlendshapeCount``, older ``BlendShapeCount``)."""
    if [h.lower() for h in header[:2]] != ["timecode", "blendshapecount"]:
        raise MotionFileError(path, "header must start with 'Timecode,BlendShapeCount' (a Live "
                              f"Link Face CSV); found {','.join(header[:2])!r}", row=1)
    canonical = {c.lower(): c for c in ARKIT61_CHANNELS}
    seen: dict[str, int] = {}
    for i, name in enumerate(header[2:], start=1):
        key = canonical.get(name.lower())
        if key is None:
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


def _parse_values(path: Path, rows: _Rows, frame_rows: np.ndarray) -> np.ndarray:
    """The tracked rows' cells after Timecode as float64 ``[T, 62]`` (column 0: BlendShapeCount,
    checked to be 61), each bad cell named by line and column."""
    header, lines = rows.header, [rows.lines[i] for i in frame_rows]
    try:
        values = np.array(rows.cells, dtype=object).astype(np.float64)
    except ValueError:
        for r, row in enumerate(rows.cells):  # slow path only to name the bad cell
            for c, cell in enumerate(row, start=1):
                try:
                    float(cell)
                except ValueError:
                    raise MotionFileError(path, f"{cell.strip()!r} is not a number", row=lines[r],
                                          column=header[c]) from None
        raise
    finite = np.isfinite(values)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise MotionFileError(path, f"value {rows.cells[r][c].strip()} is not finite",
                              row=lines[r], column=header[c + 1])
    bad = np.flatnonzero(values[:, 0] != BLENDSHAPE_COUNT)
    if bad.size:
        raise MotionFileError(path, f"BlendShapeCount is {rows.cells[bad[0]][0].strip()}, "
                              f"expected {BLENDSHAPE_COUNT}", row=lines[bad[0]], column=header[1])
    return values


def _timecode_seconds(path: Path, timecodes: list[str], lines: list[int]) -> np.ndarray:
    seconds = np.empty(len(timecodes))
    for i, tc in enumerate(timecodes):
        m = _TIMECODE.fullmatch(tc)
        if m:
            hh, mm, ss, ff = int(m[1]), int(m[2]), int(m[3]), float(m[4])
            if mm > 59 or ss > 59 or ff >= TIMECODE_BASE:
                raise MotionFileError(path, f"timecode {tc!r} is out of range", row=lines[i],
                                      column="Timecode")
            seconds[i] = hh * 3600 + mm * 60 + ss + ff / TIMECODE_BASE
        else:
            try:
                seconds[i] = float(tc)  # some exports write plain seconds
            except ValueError:
                raise MotionFileError(path, f"timecode {tc!r} is neither HH:MM:SS:FF.sss nor "
                                      "seconds", row=lines[i], column="Timecode") from None
    steps = np.diff(seconds)
    wrapped = steps < -12 * 3600  # a take that runs past midnight
    if wrapped.any():
        seconds[1:] += 24 * 3600 * np.cumsum(wrapped)
        steps = np.diff(seconds)
    back = np.flatnonzero(steps < 0)
    if back.size:
        r = int(back[0]) + 1
        raise MotionFileError(path, f"timecode {timecodes[r]!r} goes back in time from "
                              f"{timecodes[r - 1]!r} (non-monotonic)", row=lines[r],
                              column="Timecode")
    return seconds


def _timeline(path: Path, seconds: np.ndarray, rate: float) -> np.ndarray:
    """Each row's frame on the take's timeline, ``[N]`` int, from its timecode step.

    Steps are rounded per row, not from the start, so a device clock a little off the nominal
    rate never adds up to a phantom gap. A repeated timecode (step 0) is still a frame of its
    own: it takes the next frame, and when the step after it is a double one (``t, t, t+2``) the
    stamp was simply wrong, so that step shrinks by one and no frame is reported missing there.
    """
    steps = np.rint(np.diff(seconds) * rate).astype(np.int64)
    for i in np.flatnonzero(steps == 0):
        steps[i] = 1
        if i + 1 < len(steps) and steps[i + 1] >= 2:
            steps[i + 1] -= 1
    slots = np.concatenate([[0], np.cumsum(steps)])
    check_limit("motion_frames", int(slots[-1]) + 1, f"{path}: frames on the take's timeline")
    return slots


def _describe_gap(rows: _Rows, slots: np.ndarray, start: int, stop: int) -> Gap:
    """A ``Gap`` for the timeline frames ``[start, stop)``, placed by file lines."""
    inside = np.flatnonzero((slots >= start) & (slots < stop))
    if inside.size:
        first, last = rows.lines[inside[0]], rows.lines[inside[-1]]
        where = f"at line {first}" if first == last else f"at lines {first}-{last}"
    else:
        before = int(np.searchsorted(slots, start)) - 1
        where = f"between lines {rows.lines[before]} and {rows.lines[before + 1]} (timecode skip)"
    return Gap(start, stop, lost=int(inside.size), where=where)


def _slot_timecodes(timecodes: list[str], seconds: np.ndarray, slots: np.ndarray, total: int,
                    rate: float) -> list[str]:
    """A timecode per timeline frame: the file's own where a row exists, else one made from the
    last row's time plus whole frame periods (so a filled take writes back in order)."""
    out: list[str | None] = [None] * total
    for tc, slot in zip(timecodes, slots):
        out[slot] = tc
    for s in range(total):
        if out[s] is None:
            row = int(np.searchsorted(slots, s, side="right")) - 1
            out[s] = format_timecode(seconds[row] + (s - slots[row]) / rate)
    return out  # type: ignore[return-value]
