import csv
import json

import numpy as np
import pytest

from tdmm_lm.motion import ARKIT61, load, save
from tests.motion.csv_builders import APP_HEADER, random_values, take_csv


def test_real_take_inspect_json(cli, real_take):
    rc, out, _ = cli("motion", "inspect", real_take, "--json")
    assert rc == 0
    info = json.loads(out)
    assert (info["format"], info["fps"], info["frames"], info["num_channels"]) == ("arkit61", 60.0, 328, 61)
    assert info["duration_s"] == pytest.approx(328 / 60, abs=1e-3)
    assert set(info["groups"]) >= {"eyelids", "mouth", "jaw", "brows", "head"}


def test_columns_are_mapped_by_name_not_position(real_take):
    motion = load(real_take)
    with open(real_take, newline="") as f:
        rows = list(csv.DictReader(f))
    for name in ("JawLeft", "JawRight", "MouthLeft", "MouthRight", "EyeBlinkLeft", "RightEyeRoll"):
        expected = np.array([float(r[name]) for r in rows], dtype=np.float32)
        lower = name[0].lower() + name[1:]
        np.testing.assert_array_equal(motion.channel(lower), expected)
    # the take's JawLeft and JawRight differ, so a positional mapping would fail above
    assert not np.array_equal(motion.channel("jawLeft"), motion.channel("jawRight"))


def test_csv_npz_csv_round_trips_every_value(real_take, tmp_path):
    motion = load(real_take)
    save(motion, tmp_path / "take.npz")
    via_npz = load(tmp_path / "take.npz")
    save(via_npz, tmp_path / "back.csv")
    back = load(tmp_path / "back.csv")
    np.testing.assert_array_equal(back.data, motion.data)
    assert back.fps == 60.0 and back.meta["timecodes"] == motion.meta["timecodes"]
    # the written file is the app's file, byte for byte (header, timecodes, 10 decimals)
    assert (tmp_path / "back.csv").read_text() == real_take.read_text().replace("\r\n", "\n")


def test_written_header_is_the_apps(tmp_path):
    values = random_values(5)
    (tmp_path / "a.csv").write_text(take_csv(values))
    save(load(tmp_path / "a.csv"), tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text().splitlines()[0] == APP_HEADER


@pytest.mark.parametrize("fps", [30.0, 60.0, 25.0, 24.0])
def test_fps_inferred_from_timecodes(tmp_path, fps):
    (tmp_path / "t.csv").write_text(take_csv(random_values(90), fps=fps))
    assert load(tmp_path / "t.csv").fps == fps


def test_thirty_fps_take_steps_frames_by_two(tmp_path):
    text = take_csv(random_values(10), fps=30.0)
    frames = [line.split(",")[0].split(":")[3] for line in text.splitlines()[1:4]]
    assert [float(f) for f in frames] == [0.0, 2.0, 4.0]  # the builder writes what the app writes
    (tmp_path / "t.csv").write_text(text)
    assert load(tmp_path / "t.csv").fps == 30.0


def test_repeated_first_timecode_is_kept(tmp_path):
    # the real app repeats its first timecode; the frame is data and must not be dropped
    text = take_csv(random_values(6)).splitlines()
    text[2] = text[1].split(",")[0] + "," + text[2].split(",", 1)[1]
    (tmp_path / "t.csv").write_text("\n".join(text) + "\n")
    motion = load(tmp_path / "t.csv")
    assert motion.num_frames == 6 and motion.fps == 60.0


def test_values_read_exactly(tmp_path):
    values = random_values(20, seed=3)
    (tmp_path / "t.csv").write_text(take_csv(values))
    motion = load(tmp_path / "t.csv")
    order = [h[0].lower() + h[1:] for h in APP_HEADER.split(",")[2:]]
    expected = np.round(values, 10).astype(np.float32)
    for j, name in enumerate(order):
        np.testing.assert_array_equal(motion.channel(name), expected[:, j])
    assert motion.channels == ARKIT61.channels


def test_plain_seconds_timecodes(tmp_path):
    lines = take_csv(random_values(5), fps=30.0).splitlines()
    lines[1:] = [f"{i / 30:.6f}," + line.split(",", 1)[1] for i, line in enumerate(lines[1:])]
    (tmp_path / "t.csv").write_text("\n".join(lines))
    assert load(tmp_path / "t.csv").fps == 30.0


def test_take_past_midnight(tmp_path):
    (tmp_path / "t.csv").write_text(take_csv(random_values(120), start=24 * 3600 - 1.0))
    text = (tmp_path / "t.csv").read_text().replace("24:00:00", "00:00:00")
    (tmp_path / "t.csv").write_text(text)
    assert load(tmp_path / "t.csv").num_frames == 120


def test_generated_timecodes_reload_at_same_fps(tmp_path):
    from tdmm_lm.motion.ops import resample
    (tmp_path / "t.csv").write_text(take_csv(random_values(61)))
    slow = resample(load(tmp_path / "t.csv"), 30.0)
    save(slow, tmp_path / "slow.csv")
    again = load(tmp_path / "slow.csv")
    assert again.fps == 30.0 and again.num_frames == slow.num_frames == 31


def test_columns_in_another_order_are_read_by_name(real_take, tmp_path):
    # Apple documents jawLeft before jawRight; a tool writing that order must read the same motion
    with open(real_take, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    order = list(range(len(header)))
    for a, b in (("JawRight", "JawLeft"), ("MouthRight", "MouthLeft")):
        i, j = header.index(a), header.index(b)
        order[i], order[j] = order[j], order[i]
    order = order[:2] + order[2:][::-1]  # and reverse all value columns for good measure
    with open(tmp_path / "apple.csv", "w", newline="") as f:
        csv.writer(f).writerows([[r[k] for k in order] for r in rows])
    np.testing.assert_array_equal(load(tmp_path / "apple.csv").data, load(real_take).data)
