"""The shared Live Link Face takes as 30 fps ``arkit61`` segments, for the realism scripts.

    takes = load_takes()          # [(name, Motion)], every take resampled to 30 fps

S88 has 277 tracking-loss rows written as ``Timecode,0`` (no values, three runs; see
../shared/assets/README.md). The loader refuses such rows, so this splits S88 at them into its
contiguous tracked runs (named ``S88-001#k``) and reads each: the lost rows are dropped, counted
and reported, never interpolated (a gap filled by a straight line would read as real motion).
The sentien take spells its second column ``BlendshapeCount``, which the loader (today) refuses;
the header is respelled on the temporary copy.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from tdmm_lm.motion.livelinkface import read_csv
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.types import Motion

ASSETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "assets" / "livelinkface"
FPS = 30.0          # FaceScript's arkit61 rate; the 60 fps takes are resampled to it
MIN_RUN = 60        # tracked runs shorter than 2 s at 30 fps are too short for statistics


def _tracked_runs(path: Path) -> tuple[list[str], list[list[str]], int]:
    """Header, the runs of complete rows, and how many incomplete (tracking-loss) rows split them."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    # newer app versions spell "BlendshapeCount"; the loader wants the older spelling
    header = ["BlendShapeCount" if h.strip().lower() == "blendshapecount" else h for h in rows[0]]
    runs, lost, current = [], 0, []
    for row in rows[1:]:
        if len(row) == len(header):
            current.append(row)
            continue
        lost += any(cell.strip() for cell in row)    # blank lines are not frames
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    return header, runs, lost


def load_takes(folder: Path = ASSETS, report=print) -> list[tuple[str, Motion]]:
    """Every ``*.csv`` take in ``folder`` at 30 fps; takes with tracking loss become their runs."""
    out = []
    for path in sorted(folder.glob("*.csv")):
        header, runs, lost = _tracked_runs(path)
        if lost:
            report(f"{path.name}: dropped {lost} tracking-loss rows; kept {len(runs)} tracked runs")
        for k, run in enumerate(runs):
            with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as tmp:
                csv.writer(tmp).writerows([header, *run])
                tmp.flush()
                motion = read_csv(tmp.name)
            motion = resample(motion, FPS) if motion.fps != FPS else motion
            if motion.num_frames >= MIN_RUN:
                out.append((path.stem + (f"#{k}" if len(runs) > 1 else ""), motion))
    return out
