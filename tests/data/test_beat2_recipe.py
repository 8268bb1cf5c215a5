"""data_recipes/beat2.py on a folder in BEAT2's layout: motion-only rows, speakers, transcripts."""

import json

import datasets
import numpy as np

from tests.data.test_recipes import run_recipe, skipped
from tests.motion.beat2_builders import textgrid_long, write_clip

SPEAKERS = ("1_wayne", "2_scott", "3_solomon", "4_lawrence")


def beat2_folder(root):
    base = root / "beat_english_v2.0.0"
    arrays = {}
    for k, speaker in enumerate(SPEAKERS):
        for take in (1, 2):
            clip = f"{speaker}_0_{take}_{take}"
            arrays[clip] = write_clip(base / "smplxflame_30" / f"{clip}.npz", frames=30 + k,
                                      seed=10 * k + take)
            if clip != "3_solomon_0_2_2":   # one clip without a transcript
                (base / "textgrid" / f"{clip}.TextGrid").parent.mkdir(exist_ok=True)
                (base / "textgrid" / f"{clip}.TextGrid").write_text(
                    textgrid_long([(0, 0.4, ""), (0.4, 0.7, "hello"), (0.7, 1.0, speaker)], 1.0))
    write_clip(base / "smplxflame_30" / "noname.npz")                       # no speaker prefix
    write_clip(base / "smplxflame_30" / "4_lawrence_0_9_9.npz", poses=np.zeros((40, 99), np.float32))
    (base / "wave16k").mkdir()
    np.savez(base / "wave16k" / "1_wayne_0_1_1.npz", x=np.zeros(3))        # not a motion folder
    return arrays


def test_beat2_recipe(tmp_path, monkeypatch, capsys):
    arrays = beat2_folder(tmp_path / "BEAT2")
    out = tmp_path / "ds"
    rc, err = run_recipe("beat2", "--root", tmp_path / "BEAT2", "--out", out,
                         monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0, err
    dd = datasets.load_from_disk(str(out))
    rows = {r["id"]: (split, r) for split, part in dd.items() for r in part}
    assert sorted(rows) == sorted(f"beat2_{c}" for c in arrays)
    split_of = {}
    for split, r in rows.values():
        assert r["text"] == "" and r["texts"] == [] and r["format"] == "flame" and r["fps"] == 30.0
        assert split_of.setdefault(r["subject"], split) == split    # speaker-disjoint
    assert set(split_of) == set(SPEAKERS)
    _, row = rows["beat2_2_scott_0_1_1"]
    motion = np.asarray(row["motion"])
    np.testing.assert_allclose(motion[:, 100:103], arrays["2_scott_0_1_1"]["poses"][:, 66:69], atol=1e-7)
    attributes = json.loads(row["attributes"])
    assert attributes["transcript"] == "hello 2_scott" and attributes["speaker"] == "2_scott"
    assert attributes["words"] == [[0.4, 0.7, "hello"], [0.7, 1.0, "2_scott"]]
    missing = json.loads(rows["beat2_3_solomon_0_2_2"][1]["attributes"])
    assert "transcript" not in missing and "no transcript" in missing["transcript_error"]
    reasons = {s["source"].split("/")[-1]: s["reason"] for s in skipped(out)}
    assert set(reasons) == {"noname.npz", "4_lawrence_0_9_9.npz"}
    assert "cannot tell the speaker" in reasons["noname.npz"]
    assert "'poses' has shape (40, 99)" in reasons["4_lawrence_0_9_9.npz"]
    card = (out / "README.md").read_text()
    assert "BEAT2" in card and "Inputs read: 10; skipped: 2" in card and "subject-disjoint" in card


def test_beat2_recipe_resamples_and_refuses_an_empty_folder(tmp_path, monkeypatch, capsys):
    beat2_folder(tmp_path / "BEAT2")
    rc, _ = run_recipe("beat2", "--root", tmp_path / "BEAT2", "--out", tmp_path / "ds", "--fps", 15,
                       monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    part = datasets.load_from_disk(str(tmp_path / "ds"))
    lengths = {r["id"]: (r["fps"], len(r["motion"])) for p in part.values() for r in p}
    assert lengths["beat2_1_wayne_0_1_1"] == (15.0, 15)
    (tmp_path / "empty").mkdir()
    rc, err = run_recipe("beat2", "--root", tmp_path / "empty", "--out", tmp_path / "ds2",
                         monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 2 and "no BEAT2 clips under" in err and err.count("\n") == 1
