"""Every bad input is refused with one line naming the file (and row/column), exit status 2."""

import pickle

import numpy as np
import pytest

from tests.motion.csv_builders import random_values, take_csv


def _good(tmp_path, frames=30):
    return take_csv(random_values(frames))


def _lines(text):
    return text.splitlines()


def bad_files(tmp_path):
    """(name, file content as str or bytes, words the error must contain)."""
    good = _good(tmp_path)
    lines = _lines(good)
    cases = {
        "empty": ("", ["empty"]),
        "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["binary"]),
        # a short line with rows after it is malformed (a short LAST line is a truncated export,
        # read and reported: see test_livelinkface.py)
        "truncated_inside": ("\n".join(lines[:10] + [lines[10][: len(lines[10]) // 2]] + lines[11:]),
                             [":11", "fields"]),
        "too_many_fields": ("\n".join(lines[:4] + [lines[4] + ",0.5"] + lines[5:]), [":5", "fields"]),
        "blank_inside": ("\n".join(lines[:6] + [""] + lines[6:]), [":7", "blank line"]),
        "all_tracking_lost": ("\n".join([lines[0]] + [ln.split(",")[0] + ",0" for ln in lines[1:]]),
                              ["no tracked frame", "Timecode,0"]),
        "wrong_header": (good.replace("Timecode,BlendShapeCount", "Time,Count", 1), [":1", "Timecode"]),
        "unknown_column": (good.replace("MouthLeft", "MouthLeftish", 1), [":1", "MouthLeftish"]),
        "missing_column": ("\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n",
                           [":1", "RightEyeRoll"]),
        "wrong_count": (good.replace(",61,", ",52,", 3), [":2", "BlendShapeCount", "52"]),
        "nan": ("\n".join(lines[:5] + [lines[5].rsplit(",", 1)[0] + ",nan"] + lines[6:]),
                [":6", "RightEyeRoll", "not finite"]),
        "inf": ("\n".join(lines[:3] + [lines[3].replace(",61,", ",61,inf,", 1).rsplit(",", 1)[0]]
                          + lines[4:]), [":4", "EyeBlinkLeft", "not finite"]),
        "text_value": ("\n".join(lines[:7] + [lines[7].replace(",61,", ",61,abc,", 1).rsplit(",", 1)[0]]
                                 + lines[8:]), [":8", "EyeBlinkLeft", "abc"]),
        "non_monotonic": ("\n".join(lines[:4] + [lines[6], lines[5], lines[4]] + lines[7:]),
                          ["goes back in time", "Timecode"]),
        "bad_timecode": ("\n".join(lines[:2] + ["12:99:00:01.000," + lines[2].split(",", 1)[1]]
                                   + lines[3:]), [":3", "Timecode"]),
        "zero_length": (lines[0] + "\n", ["zero-length"]),
        "single_timecode": ("\n".join(lines[:2]) + "\n", ["frame rate"]),
        "hours_apart": ("\n".join(lines[:2] + ["23:00:00:00.000," + lines[2].split(",", 1)[1]]),
                        ["frames per second", "Timecode"]),
    }
    return cases


CASES = sorted(bad_files(None))


@pytest.mark.parametrize("name", CASES)
def test_bad_csv_refused_with_one_line(cli, tmp_path, name):
    content, words = bad_files(tmp_path)[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    rc, out, err = cli("motion", "inspect", path)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err
    for word in words:
        assert word in err, (word, err)


def test_absurdly_long_take_refused(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TDMM_MAX_MOTION_FRAMES", "50")
    path = tmp_path / "long.csv"
    path.write_text(take_csv(random_values(51)))
    rc, _, err = cli("motion", "inspect", path)
    assert rc == 2 and "limit" in err and str(path) in err and "TDMM_MAX_MOTION_FRAMES" in err


def test_timecode_jump_past_the_frame_limit_refused_before_allocating(cli, tmp_path, monkeypatch):
    # two rows ten hours apart would put 2 million frames on the timeline: refused, not filled
    lines = take_csv(random_values(4)).splitlines()
    lines[4] = "23:00:00:00.000," + lines[4].split(",", 1)[1]
    (tmp_path / "jump.csv").write_text("\n".join(lines) + "\n")
    rc, _, err = cli("motion", "inspect", tmp_path / "jump.csv", "--gaps", "fill")
    assert rc == 2 and "timeline" in err and "TDMM_MAX_MOTION_FRAMES" in err


@pytest.mark.parametrize("name,value,words", [
    ("file_bytes", "100", ["file size", "TDMM_MAX_FILE_BYTES"]),
    ("csv_line_bytes", "200", [":1", "bytes", "TDMM_MAX_CSV_LINE_BYTES"]),
])
def test_size_limits_refuse_before_reading(cli, tmp_path, monkeypatch, name, value, words):
    monkeypatch.setenv(f"TDMM_MAX_{name.upper()}", value)
    path = tmp_path / "t.csv"
    path.write_text(take_csv(random_values(5)))
    rc, _, err = cli("motion", "inspect", path)
    assert rc == 2 and str(path) in err and err.count("\n") == 1
    for word in words:
        assert word in err, (word, err)


def test_debug_flag_shows_the_traceback(cli, tmp_path):
    from tdmm_lm.errors import MotionFileError
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(MotionFileError):
        cli("--debug", "motion", "inspect", path)


@pytest.mark.parametrize("suffix,content,words", [
    (".npz", b"not a zip archive at all", ["not a readable .npz"]),
    (".pkl", b"\x80\x04garbage", ["pickle"]),
    (".pkl", b"", ["empty"]),
    (".txt", b"hello", ["unknown motion file type"]),
])
def test_unreadable_files(cli, tmp_path, suffix, content, words):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    rc, _, err = cli("motion", "inspect", path)
    assert rc == 2 and str(path) in err and err.count("\n") == 1
    for word in words:
        assert word in err


class _Exploit:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_that_runs_code_is_refused(cli, tmp_path, capsys):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"expression": np.zeros((3, 50)), "x": _Exploit()}))
    rc, out, err = cli("motion", "inspect", path)
    assert rc == 2 and "pwned" not in out
    assert "refusing to load builtins.print" in err


def test_missing_file(cli, tmp_path):
    rc, _, err = cli("motion", "inspect", tmp_path / "nope.csv")
    assert rc == 2 and "no such file" in err


def test_nan_in_npz_named_with_frame_and_channel(cli, tmp_path):
    data = np.zeros((5, 56), dtype=np.float32)
    data[3, 52] = np.nan  # jaw_2
    np.savez(tmp_path / "f.npz", expression=data[:, :50], jaw_pose=data[:, 50:53], head_pose=data[:, 53:])
    rc, _, err = cli("motion", "inspect", tmp_path / "f.npz")
    assert rc == 2 and "frame 3" in err and "jaw_2" in err


def test_bad_flags_exit_2(cli):
    with pytest.raises(SystemExit) as e:
        cli("motion", "convert", "only-one-arg")
    assert e.value.code == 2


def test_convert_refuses_flame_to_csv(cli, tmp_path):
    np.savez(tmp_path / "f.npz", expression=np.zeros((4, 50)), jaw_pose=np.zeros((4, 3)),
             head_pose=np.zeros((4, 3)))
    rc, _, err = cli("motion", "convert", tmp_path / "f.npz", tmp_path / "f.csv")
    assert rc == 2 and "arkit61" in err and not (tmp_path / "f.csv").exists()
