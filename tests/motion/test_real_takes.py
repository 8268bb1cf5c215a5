"""Every real Live Link Face take in ../shared/assets/livelinkface (skipped when absent).

Expected facts come from the assets' README and from reading the files with the ``csv`` module
here, not from the reader under test.
"""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import GapPolicy, load, load_pieces
from tests.conftest import SHARED_ASSETS

TAKES = SHARED_ASSETS / "livelinkface"
# file -> (fps, data rows, tracking-loss rows) as documented in ../shared/assets/README.md
KNOWN = {
    "MySlate_3_Jason_Millers_iPhone.csv": (60.0, 328, 0),
    "alexdjulin_S07-001.csv": (30.0, 2028, 0),
    "alexdjulin_S88-001.csv": (30.0, 1939, 277),
    "sentien_MySlate_24_iPhone.csv": (60.0, 1628, 0),
}


def _take(name: str) -> Path:
    path = TAKES / name
    if not path.exists():
        pytest.skip(f"shared take {name} not available (no ../shared beside the clone)")
    return path


def _raw(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _column(header, rows, name):
    """A column by name (any case), NaN on tracking-loss rows."""
    j = [h.lower() for h in header].index(name.lower())
    return np.array([float(r[j]) if len(r) > j else np.nan for r in rows])


def test_every_shared_take_is_known():
    if not TAKES.exists():
        pytest.skip("no ../shared/assets/livelinkface")
    assert {p.name for p in TAKES.glob("*.csv")} <= set(KNOWN), "a new take needs its facts here"


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_take_loads_with_every_row_accounted_for(name):
    path = _take(name)
    fps, rows, lost = KNOWN[name]
    header, body = _raw(path)
    assert len(body) == rows
    pieces = load_pieces(path)                                     # the default policy: auto
    report = pieces[0].meta["gaps"]
    assert pieces[0].fps == fps and report["rows"] == rows
    assert report["lost_rows"] == lost == sum(len(r) == 2 for r in body)
    assert report["frames_read"] + report["lost_rows"] == rows
    kept = sum(p.num_frames for p in pieces)
    assert kept == report["frames_read"] + report["filled"] + report["held"]
    assert (report["filled"] + report["held"] + report["split"] + report["trimmed"]
            == report["lost_rows"] + report["skipped_frames"])
    # every tracked row's values are in the output, unchanged, by column name
    first = pieces[0]
    np.testing.assert_array_equal(first.channel("jawOpen")[:5],
                                  _column(header, body, "JawOpen")[:5].astype(np.float32))
    assert first.meta["timecodes"][0] == body[0][0]


def test_sentien_take_lower_case_header_1628_frames_at_60_fps():
    path = _take("sentien_MySlate_24_iPhone.csv")
    header, body = _raw(path)
    assert header[1] == "BlendshapeCount"                           # the current app's spelling
    motion = load(path)
    assert (motion.num_frames, motion.fps) == (1628, 60.0)
    assert motion.meta["gaps"]["missing_frames"] == 0
    for name in ("mouthSmileLeft", "jawLeft", "rightEyeYaw"):
        np.testing.assert_array_equal(motion.channel(name),
                                      _column(header, body, name).astype(np.float32))
    take = json.loads((TAKES / "sentien_MySlate_24_take.json").read_text())
    assert take["videoTargetFrameRate"] == motion.fps


def test_s88_counts_277_lost_rows_in_three_runs_and_splits_at_them():
    path = _take("alexdjulin_S88-001.csv")
    pieces = load_pieces(path)
    report = pieces[0].meta["gaps"]
    assert report["lost_rows"] == 277
    runs = [g for g in report["gaps"] if g["lost_rows"]]
    # README: 129 rows from data row 383, 123 from 1712, 25 from 1840 (file line = row + 1)
    assert [g["lost_rows"] for g in runs] == [129, 123, 25]
    assert [g["where"] for g in runs] == ["at lines 384-512", "at lines 1713-1835",
                                          "at lines 1841-1865"]
    assert all(g["action"] == "split" for g in runs)              # all longer than 0.5 s
    assert len(pieces) == 4 and report["pieces"] == 4
    # the pieces hold exactly the tracked rows between the runs, in order
    header, body = _raw(path)
    tracked = [r for r in body if len(r) > 2]
    jaw = np.concatenate([p.channel("jawOpen") for p in pieces])
    filled_at = [g["start_frame"] for g in report["gaps"] if g["action"] == "filled"]
    assert len(jaw) == len(tracked) + len(filled_at)


def test_s88_single_loader_explains_the_split():
    path = _take("alexdjulin_S88-001.csv")
    with pytest.raises(TdmmError) as e:
        load(path)
    assert "lines 384-512" in str(e.value) and "--gaps split" in str(e.value)
    with pytest.raises(TdmmError, match="277 missing|280 missing"):
        load(path, gaps=GapPolicy("error"))


def test_s88_fill_interpolates_across_the_25_row_run():
    path = _take("alexdjulin_S88-001.csv")
    motion = load(path, gaps=GapPolicy("fill"))
    report = motion.meta["gaps"]
    run = next(g for g in report["gaps"] if g["where"] == "at lines 1841-1865")
    header, body = _raw(path)
    before = _column(header, [body[1838]], "EyeBlinkLeft")[0]    # line 1840: last tracked
    after = _column(header, [body[1864]], "EyeBlinkLeft")[0]     # line 1866: first tracked again
    start, n = run["start_frame"], run["frames"]
    got = motion.channel("eyeBlinkLeft")[start - 1: start + n + 1].astype(np.float64)
    want = before + np.arange(n + 2) / (n + 1) * (after - before)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert motion.num_frames == report["frames_read"] + report["missing_frames"]
    # a lost row keeps the app's own timecode
    assert motion.meta["timecodes"][start] == body[1839][0]          # line 1841


def test_s07_skipped_timecode_filled_with_the_midpoint():
    path = _take("alexdjulin_S07-001.csv")
    motion = load(path)
    report = motion.meta["gaps"]
    assert (report["skipped_frames"], report["lost_rows"], report["filled"]) == (2, 0, 2)
    assert motion.num_frames == 2030
    gap = report["gaps"][0]
    assert gap["where"].startswith("between lines 527 and 528")
    header, body = _raw(path)
    col = _column(header, body[525:527], "JawOpen")               # lines 527 and 528
    assert motion.channel("jawOpen")[gap["start_frame"]] == pytest.approx(col.mean(), abs=1e-6)


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_take_round_trips_through_the_cli(cli, tmp_path, name):
    path = _take(name)
    rc, out, _ = cli("motion", "convert", path, tmp_path / "t.npz", "--gaps", "fill")
    assert rc == 0, out
    rc, _, _ = cli("motion", "convert", tmp_path / "t.npz", tmp_path / "back.csv")
    assert rc == 0
    again, first = load(tmp_path / "back.csv"), load(path, gaps=GapPolicy("fill"))
    # the CSV keeps 10 decimals, so filled values below 1e-10 may round (the app's own precision)
    np.testing.assert_allclose(again.data, first.data, rtol=0, atol=1e-9)
    assert again.meta["timecodes"] == first.meta["timecodes"]
    assert again.meta["gaps"]["missing_frames"] == 0                # nothing left to fill
    rc, out, _ = cli("motion", "inspect", path)
    assert rc == 0 and f"{KNOWN[name][2]} tracking-loss rows" in out
