"""Quirks of real Live Link Face exports, each on a small CSV written here: tracking-loss rows
(filled, split, trimmed, held or refused by the gap policy), skipped and repeated timecodes,
CRLF, BOM, a truncated last line, header case, midnight. Expected values come from the arrays
the tests write, never from the reader."""

import json

import numpy as np
import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import GapPolicy, load, load_pieces
from tests.motion.csv_builders import app_order, lose_tracking, random_values, take_csv

ORDER = app_order()


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _as_canonical(motion):
    """The motion's columns in the app's order, float64, to compare with the written values."""
    return np.stack([motion.channel(n) for n in ORDER], axis=1).astype(np.float64)


def _written(values):
    return np.round(values, 10).astype(np.float32).astype(np.float64)


def _accounted(report, frames_out):
    """Every missing frame is counted once, and the output holds exactly what was kept."""
    assert (report["filled"] + report["held"] + report["split"] + report["trimmed"]
            == report["missing_frames"] == report["lost_rows"] + report["skipped_frames"])
    assert frames_out == report["frames_read"] + report["filled"] + report["held"]


def test_one_lost_row_is_filled_with_the_midpoint(tmp_path):
    values = random_values(20, seed=1)
    path = _write(tmp_path, lose_tracking(take_csv(values), [7]))
    motion = load(path)
    assert motion.num_frames == 20
    got = _as_canonical(motion)
    expected = (_written(values)[6] + _written(values)[8]) / 2
    np.testing.assert_allclose(got[7], expected, atol=1e-6)
    np.testing.assert_array_equal(got[6], _written(values)[6])     # neighbours untouched
    report = motion.meta["gaps"]
    assert (report["lost_rows"], report["filled"], report["pieces"]) == (1, 1, 1)
    assert report["gaps"][0]["where"] == "at line 9" and report["gaps"][0]["action"] == "filled"
    _accounted(report, motion.num_frames)


def test_short_run_is_a_straight_line_between_its_neighbours(tmp_path):
    values = random_values(30, seed=2)
    path = _write(tmp_path, lose_tracking(take_csv(values), range(10, 14)))   # 4 rows, 0.067 s
    got = _as_canonical(load(path))
    before, after = _written(values)[9], _written(values)[14]
    for k in range(4):
        np.testing.assert_allclose(got[10 + k], before + (k + 1) / 5 * (after - before), atol=1e-6)


def test_full_width_empty_loss_rows_count_too(tmp_path):
    path = _write(tmp_path, lose_tracking(take_csv(random_values(12)), [3, 4], full_width=True))
    report = load(path).meta["gaps"]
    assert report["lost_rows"] == 2 and report["filled"] == 2


def _long_gap_take(tmp_path, frames=100, lost=range(40, 80)):
    """60 fps, 40 lost rows (0.67 s, over the 0.5 s default) in the middle."""
    values = random_values(frames, seed=3)
    return values, _write(tmp_path, lose_tracking(take_csv(values), lost))


def test_long_gap_splits_the_take_in_auto(tmp_path):
    values, path = _long_gap_take(tmp_path)
    pieces = load_pieces(path)
    assert [p.num_frames for p in pieces] == [40, 20]
    assert [(p.meta["piece"], p.meta["pieces"]) for p in pieces] == [(1, 2), (2, 2)]
    np.testing.assert_array_equal(_as_canonical(pieces[1]), _written(values)[80:])
    report = pieces[0].meta["gaps"]
    assert (report["lost_rows"], report["split"], report["filled"]) == (40, 40, 0)
    assert report["gaps"][0]["where"] == "at lines 42-81"
    _accounted(report, sum(p.num_frames for p in pieces))
    # the piece's timecodes are the file's own rows 81.. (line 82 on)
    assert pieces[1].meta["timecodes"][0] == path.read_text().splitlines()[81].split(",")[0]


def test_single_motion_loader_refuses_a_split_take_with_one_line(tmp_path):
    _, path = _long_gap_take(tmp_path)
    with pytest.raises(TdmmError) as e:
        load(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg and "lines 42-81" in msg
    assert "--gaps split" in msg and "--gaps fill" in msg


def test_max_gap_and_fill_decide_how_far_to_interpolate(tmp_path):
    values, path = _long_gap_take(tmp_path)
    assert load(path, gaps=GapPolicy("auto", max_gap=1.0)).num_frames == 100
    filled = load(path, gaps=GapPolicy("fill"))
    got, want = _as_canonical(filled), _written(values)
    np.testing.assert_allclose(got[60], want[39] + 21 / 41 * (want[80] - want[39]), atol=1e-6)
    assert filled.meta["gaps"]["filled"] == 40
    assert len(filled.meta["timecodes"]) == 100


def test_split_mode_never_invents_a_frame(tmp_path):
    values = random_values(30, seed=4)
    path = _write(tmp_path, lose_tracking(take_csv(values), [10]))
    pieces = load_pieces(path, gaps=GapPolicy("split"))
    assert [p.num_frames for p in pieces] == [10, 19]
    assert pieces[0].meta["gaps"]["split"] == 1


def test_error_mode_names_file_and_lines(tmp_path, cli):
    path = _write(tmp_path, lose_tracking(take_csv(random_values(40)), [*range(5, 8), 30]))
    rc, out, err = cli("motion", "inspect", path, "--gaps", "error")
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert str(path) in err and "lines 7-9" in err and "line 32" in err and "4 missing" in err


def test_edges_are_trimmed_in_auto_and_held_in_fill(tmp_path):
    values = random_values(30, seed=5)
    path = _write(tmp_path, lose_tracking(take_csv(values), [0, 1, 2, 28, 29]))
    auto = load(path)
    assert auto.num_frames == 25
    np.testing.assert_array_equal(_as_canonical(auto), _written(values)[3:28])
    assert auto.meta["gaps"]["trimmed"] == 5
    _accounted(auto.meta["gaps"], auto.num_frames)
    held = _as_canonical(load(path, gaps=GapPolicy("fill")))
    assert held.shape[0] == 30
    np.testing.assert_array_equal(held[0], _written(values)[3])
    np.testing.assert_array_equal(held[29], _written(values)[27])


def test_skipped_timecode_is_a_missing_frame(tmp_path):
    # the app sometimes steps its timecode by two frame periods with no row between
    values = random_values(21, seed=6)
    lines = take_csv(values, fps=30.0).splitlines()
    del lines[1 + 10]                       # row 10 never written: its timecode is skipped
    path = _write(tmp_path, "\n".join(lines) + "\n")
    motion = load(path)
    assert motion.fps == 30.0 and motion.num_frames == 21
    np.testing.assert_allclose(_as_canonical(motion)[10],
                               (_written(values)[9] + _written(values)[11]) / 2, atol=1e-6)
    report = motion.meta["gaps"]
    assert (report["skipped_frames"], report["lost_rows"], report["filled"]) == (1, 0, 1)
    assert "between lines 11 and 12" in report["gaps"][0]["where"]


def test_repeated_timecode_is_kept_and_counted(tmp_path):
    lines = take_csv(random_values(6)).splitlines()
    lines[2] = lines[1].split(",")[0] + "," + lines[2].split(",", 1)[1]
    motion = load(_write(tmp_path, "\n".join(lines) + "\n"))
    assert motion.num_frames == 6 and motion.meta["gaps"]["repeated_timecodes"] == 1
    assert motion.meta["gaps"]["missing_frames"] == 0


@pytest.mark.parametrize("transform", ["crlf", "bom", "bom_crlf"])
def test_crlf_and_bom_read_the_same_values(tmp_path, transform):
    text = take_csv(random_values(15, seed=7))
    plain = load(_write(tmp_path, text, "plain.csv"))
    if "crlf" in transform:
        text = text.replace("\n", "\r\n")
    raw = ("\ufeff" if "bom" in transform else "") + text
    other = load(_write(tmp_path, raw.encode("utf-8"), "other.csv"))
    np.testing.assert_array_equal(other.data, plain.data)
    assert other.meta["timecodes"] == plain.meta["timecodes"] and other.fps == 60.0


def test_truncated_last_line_is_reported_not_fatal(tmp_path, cli):
    values = random_values(12, seed=8)
    lines = take_csv(values).splitlines()
    path = _write(tmp_path, "\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    motion = load(path)
    assert motion.num_frames == 11
    np.testing.assert_array_equal(_as_canonical(motion), _written(values)[:11])
    assert motion.meta["gaps"]["truncated_line"] == 13
    rc, out, _ = cli("motion", "inspect", path)
    assert rc == 0 and "line 13: truncated final line, not read" in out


def test_header_names_match_without_case(tmp_path):
    values = random_values(10, seed=9)
    text = take_csv(values)
    header, body = text.split("\n", 1)
    new = "Timecode,BlendshapeCount," + ",".join(n.lower() for n in header.split(",")[2:])
    motion = load(_write(tmp_path, new + "\n" + body))
    np.testing.assert_array_equal(_as_canonical(motion), _written(values))


def test_take_past_midnight_has_no_gap(tmp_path):
    text = take_csv(random_values(120), start=24 * 3600 - 1.0).replace("24:00:00", "00:00:00")
    text = lose_tracking(text, [70])        # a lost row after midnight is still one frame
    motion = load(_write(tmp_path, text))
    assert motion.num_frames == 120
    report = motion.meta["gaps"]
    assert (report["missing_frames"], report["lost_rows"], report["filled"]) == (1, 1, 1)
    assert motion.meta["timecodes"][-1].startswith("00:00:00")


def test_policy_refuses_bad_settings(cli, tmp_path):
    with pytest.raises(TdmmError, match="--gaps"):
        GapPolicy("guess")
    with pytest.raises(TdmmError, match="--max-gap"):
        GapPolicy("auto", max_gap=-1.0)
    path = _write(tmp_path, take_csv(random_values(5)))
    rc, _, err = cli("motion", "inspect", path, "--max-gap", "-1")
    assert rc == 2 and "--max-gap" in err and err.count("\n") == 1


def test_inspect_json_carries_the_report(cli, tmp_path):
    _, path = _long_gap_take(tmp_path)
    rc, out, _ = cli("motion", "inspect", path, "--json")
    info = json.loads(out)
    assert rc == 0 and [p["frames"] for p in info["pieces"]] == [40, 20]
    assert info["pieces"][0]["gaps"]["lost_rows"] == 40
    rc, out, _ = cli("motion", "inspect", path, "--json", "--gaps", "fill")
    info = json.loads(out)
    assert info["frames"] == 100 and info["gaps"]["filled"] == 40


def test_convert_writes_one_file_per_piece_and_a_filled_take_round_trips(cli, tmp_path):
    values, path = _long_gap_take(tmp_path)
    rc, out, _ = cli("motion", "convert", path, tmp_path / "o.npz")
    assert rc == 0 and "o_p1.npz" in out and "o_p2.npz" in out
    assert load(tmp_path / "o_p2.npz").num_frames == 20
    rc, _, _ = cli("motion", "convert", path, tmp_path / "filled.csv", "--gaps", "fill")
    back = load(tmp_path / "filled.csv", gaps=GapPolicy("error"))   # no gap left to refuse
    np.testing.assert_allclose(back.data, load(path, gaps=GapPolicy("fill")).data, atol=1e-9)
    assert back.meta["timecodes"][40:80] == [ln.split(",")[0] for ln in
                                             path.read_text().splitlines()[41:81]]
