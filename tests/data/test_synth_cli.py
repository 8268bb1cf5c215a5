"""`tdmm-lm data synth` / `data inspect`: the corpus every later stage trains on."""

import json

import datasets
import numpy as np

from tdmm_lm.data.schema import features
from tdmm_lm.motion.formats import flame_channels


def test_synth_2000_has_schema_splits_disjoint_subjects_and_attributes(cli, tmp_path):
    out = tmp_path / "fs"
    rc, stdout, _ = cli("data", "synth", "--out", out, "--num-samples", 2000, "--seed", 7)
    assert rc == 0 and "skipped 0" in stdout
    dd = datasets.load_from_disk(str(out))
    assert list(dd) == ["train", "validation", "test"]
    assert sum(len(p) for p in dd.values()) == 2000
    for part in dd.values():
        assert part.features == features(61)
    subjects = {k: set(p["subject"]) for k, p in dd.items()}
    assert not subjects["train"] & subjects["test"]
    assert not subjects["train"] & subjects["validation"]
    assert not subjects["validation"] & subjects["test"]
    for part in dd.values():
        for attrs in part["attributes"]:
            assert json.loads(attrs)["segments"]
    row = dd["test"][0]
    assert row["text"] in row["texts"] and 3 <= len(row["texts"]) <= 5
    assert np.asarray(row["motion"]).shape[1] == 61 and row["fps"] == 30.0
    assert "Inputs read: 2000; skipped: 0" in (out / "README.md").read_text()

    rc, stdout, _ = cli("data", "inspect", out, "--json")
    summary = json.loads(stdout)
    assert rc == 0 and summary["subject_overlap"] == {} and summary["format"] == "arkit61"
    assert summary["rows_with_attributes"] == {k: len(p) for k, p in dd.items()}


def test_synth_flame_and_determinism(cli, tmp_path):
    for name in ("a", "b"):
        rc, _, _ = cli("data", "synth", "--out", tmp_path / name, "--num-samples", 60,
                       "--format", "flame", "--num-subjects", 10)
        assert rc == 0
    a, b = (datasets.load_from_disk(str(tmp_path / n)) for n in "ab")
    assert a["train"].features["motion"].shape == (None, len(flame_channels(50)))
    assert a["train"][0]["fps"] == 25.0 and a["train"][0]["format"] == "flame"
    for split in a:
        assert a[split]["id"] == b[split]["id"]
        np.testing.assert_array_equal(np.concatenate(a[split].with_format("numpy")["motion"]),
                                      np.concatenate(b[split].with_format("numpy")["motion"]))


def test_synth_bad_flags(cli, tmp_path):
    rc, _, err = cli("data", "synth", "--out", tmp_path / "x", "--num-samples", 0)
    assert rc == 2 and "no inputs" in err and err.count("\n") == 1
    rc, _, err = cli("data", "inspect", tmp_path / "nothing")
    assert rc == 2 and "nothing" in err
