"""The recipes in data_recipes/ on small folders built here: rows, splits, cards, skip logs."""

import json
import pickle
import runpy
import sys
from pathlib import Path

import datasets
import numpy as np

from tdmm_lm.data.schema import COLUMNS
from tests.motion.csv_builders import random_values, take_csv

RECIPES = Path(__file__).resolve().parents[2] / "data_recipes"


def run_recipe(name, *args, monkeypatch, capsys):
    """Run ``data_recipes/<name>.py ARGS`` in-process; returns (exit status, stderr)."""
    script = runpy.run_path(str(RECIPES / f"{name}.py"), run_name="recipe_under_test")
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *map(str, args)])
    from tdmm_lm.data.recipe import recipe_main
    rc = recipe_main(script["build_parser"], script["build_rows"])
    return rc, capsys.readouterr().err


def skipped(out):
    return [json.loads(line) for line in (Path(out) / "skipped.jsonl").read_text().splitlines()]


def small_express4d(root, takes=4):
    """An Express4D-like folder with ``takes`` valid takes and their captions."""
    root.mkdir()
    for n in range(1, takes + 1):
        (root / f"MySlate_{n}_iPhone_cal.csv").write_text(take_csv(random_values(20, seed=n)))
    (root / "texts_plain.txt").write_text("".join(f"caption {n}\n" for n in range(1, takes + 1)))
    return root


def test_express4d(tmp_path, monkeypatch, capsys):
    root = tmp_path / "Express4D"
    (root / "data").mkdir(parents=True)
    for n in range(1, 9):
        (root / "data" / f"MySlate_{n}_iPhone_cal.csv").write_text(take_csv(random_values(40, seed=n)))
    bad = take_csv(random_values(40)).replace(",61,", ",60,", 1)
    (root / "data" / "MySlate_9_iPhone_cal.csv").write_text(bad)
    (root / "data" / "notes.csv").write_text("a,b\n1,2\n")
    captions = [f"caption number {n}" for n in range(1, 10)]
    captions[6] = "   "  # take 7 has a blank caption line
    (root / "texts_plain.txt").write_text("\n".join(captions[:9]) + "\n")
    (root / "data" / "MySlate_12_iPhone_cal.csv").write_text(take_csv(random_values(40)))
    out = tmp_path / "ds"
    rc, err = run_recipe("express4d", "--root", root, "--out", out, "--fps", 20,
                         monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    dd = datasets.load_from_disk(str(out))
    rows = [r for split in dd.values() for r in split]
    assert sorted(r["id"] for r in rows) == [f"express4d_{n:04d}" for n in (1, 2, 3, 4, 5, 6, 8)]
    row = next(r for r in rows if r["id"] == "express4d_0003")
    assert row["text"] == "caption number 3" and row["fps"] == 20.0 and len(row["motion"]) == 14
    reasons = {Path(s["source"]).name: s["reason"] for s in skipped(out)}
    assert set(reasons) == {"MySlate_9_iPhone_cal.csv", "notes.csv", "MySlate_7_iPhone_cal.csv",
                            "MySlate_12_iPhone_cal.csv"}
    assert "BlendShapeCount" in reasons["MySlate_9_iPhone_cal.csv"]
    assert "line 12" in reasons["MySlate_12_iPhone_cal.csv"]
    card = (out / "README.md").read_text()
    assert "Inputs read: 11; skipped: 4" in card and "clip-disjoint" in card
    assert "4 inputs skipped" in err


def test_express4d_strict_stops_at_first_bad_input(tmp_path, monkeypatch, capsys):
    root = tmp_path / "e"
    root.mkdir()
    (root / "MySlate_1_iPhone_cal.csv").write_text("")
    (root / "texts_plain.txt").write_text("one\n")
    rc, err = run_recipe("express4d", "--root", root, "--out", tmp_path / "ds", "--strict",
                         monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 2 and "MySlate_1_iPhone_cal.csv" in err and "empty" in err


def test_livelinkface_folder_subject_split(tmp_path, monkeypatch, capsys):
    root = tmp_path / "takes"
    lines = ["file,text,subject"]
    for i in range(12):
        sub = root / f"session{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"Slate_{i}_iPhone.csv").write_text(take_csv(random_values(30, seed=i), fps=30.0))
        lines.append(f"session{i % 2}/Slate_{i}_iPhone.csv,smiles {i}|grins {i},actor{i % 4}")
    lines.append("session0/missing.csv,nothing,actor0")
    (root / "orphan.csv").write_text(take_csv(random_values(30)))
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "ds"
    rc, _ = run_recipe("livelinkface", "--root", root, "--captions", root / "captions.csv", "--out",
                       out, "--test-ratio", 0.25, "--val-ratio", 0.25,
                       monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    dd = datasets.load_from_disk(str(out))
    subjects = {split: set(part["subject"]) for split, part in dd.items()}
    assert all(subjects.values())
    assert not (subjects["train"] & subjects["test"]) and not (subjects["train"] & subjects["validation"])
    row = dd["train"][0]
    assert row["texts"] == [row["text"], row["text"].replace("smiles", "grins")]
    assert sum(len(p) for p in dd.values()) == 12
    assert {Path(s["source"]).name for s in skipped(out)} == {"captions.csv:14", "orphan.csv"}


def test_livelinkface_without_captions_is_motion_only_and_all_train(tmp_path, monkeypatch, capsys):
    # a tokenizer mix of uncaptioned takes: every take in train, each its own subject; the
    # empty validation/test splits must load back (datasets writes an empty split as no shard)
    root = tmp_path / "takes"
    root.mkdir()
    for i in range(3):
        (root / f"Slate_{i}_iPhone.csv").write_text(take_csv(random_values(25 + i, seed=i)))
    out = tmp_path / "ds"
    rc, _ = run_recipe("livelinkface", "--root", root, "--out", out, "--split", "clip",
                       "--val-ratio", 0, "--test-ratio", 0, monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    from tdmm_lm.data.schema import load_dataset_dict
    dd = load_dataset_dict(str(out))
    assert (len(dd["train"]), len(dd["validation"]), len(dd["test"])) == (3, 0, 0)
    assert sorted(dd["train"]["subject"]) == [f"Slate_{i}_iPhone" for i in range(3)]
    assert all(t == [] for t in dd["train"]["texts"]) and set(dd["train"]["text"]) == {""}
    assert sorted(len(m) for m in dd["train"]["motion"]) == [25, 26, 27]
    assert dd["validation"].features == dd["train"].features


def test_open3dfacevid_smirk_and_spectre(tmp_path, monkeypatch, capsys):
    fits = tmp_path / "fits"
    fits.mkdir()
    rng = np.random.default_rng(0)
    records = []
    for i in range(6):
        clip = f"clip{i:03d}"
        if i % 3:
            np.savez(fits / f"{clip}.npz", exp=rng.normal(size=(50, 50)), pose=rng.normal(size=(50, 6)) * .1)
        else:
            fit = {"expression": rng.normal(size=(50, 50)), "pose": np.zeros((50, 3)),
                   "jaw": np.zeros((50, 3)), "eyelid": np.zeros((50, 2))}
            (fits / f"{clip}.pkl").write_bytes(pickle.dumps(fit))
        records.append({"id": f"{clip}.mp4", "caption": f"a person pouts {i}",
                        "paraphrases": [f"pouting {i}"], "emotion": "sad"})
    records.append({"id": "clip999.mp4", "caption": "no fit for me"})
    (tmp_path / "captions.json").write_text(json.dumps(records))
    out = tmp_path / "ds"
    rc, _ = run_recipe("open3dfacevid", "--captions", tmp_path / "captions.json", "--fits", fits,
                       "--out", out, "--val-ratio", 0.2, "--test-ratio", 0.2,
                       monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    # SMIRK fits carry eyelids and SPECTRE fits do not; one dataset holds one layout, the most
    # common one (4 SPECTRE clips), and the 2 SMIRK clips are logged, not dropped silently
    dd = datasets.load_from_disk(str(out))
    assert sorted(r["id"] for p in dd.values() for r in p) == [f"o3d_clip{i:03d}" for i in (1, 2, 4, 5)]
    reasons = {Path(s["source"]).name: s["reason"] for s in skipped(out)}
    assert set(reasons) == {"clip000.pkl", "clip003.pkl", "captions.json#clip999"}
    assert "58 channels" in reasons["clip000.pkl"]
    assert dd["train"][0]["texts"][1].startswith("pouting")


def test_open3dfacevid_single_layout(tmp_path, monkeypatch, capsys):
    fits = tmp_path / "fits"
    fits.mkdir()
    rng = np.random.default_rng(0)
    captions = {}
    for i in range(6):
        np.savez(fits / f"c{i}.npz", exp=rng.normal(size=(50, 50)), pose=rng.normal(size=(50, 6)) * .1)
        captions[f"c{i}"] = {"text": f"a person frowns {i}", "emotion": "angry"}
    captions["c9"] = "no fit"
    (tmp_path / "captions.json").write_text(json.dumps(captions))
    out = tmp_path / "ds"
    rc, _ = run_recipe("open3dfacevid", "--captions", tmp_path / "captions.json", "--fits", fits,
                       "--out", out, monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    dd = datasets.load_from_disk(str(out))
    assert dd["train"].features["motion"].shape == (None, 56)
    row = next(r for p in dd.values() for r in p if r["id"] == "o3d_c2")
    assert row["format"] == "flame" and row["fps"] == 25.0
    assert json.loads(row["attributes"]) == {"emotion": "angry"}
    assert [Path(s["source"]).name for s in skipped(out)] == ["captions.json#c9"]


def test_push_to_hub_offline_fails_cleanly_and_keeps_the_dataset(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = small_express4d(tmp_path / "e")
    out = tmp_path / "ds"
    rc, err = run_recipe("express4d", "--root", root, "--out", out, "--push-to-hub", "me/express4d",
                         monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 2 and "me/express4d" in err and str(out) in err
    assert err.strip().count("\n") == 0 or "error:" in err.splitlines()[-1]
    assert sum(len(p) for p in datasets.load_from_disk(str(out)).values()) == 4


def test_existing_output_needs_overwrite(tmp_path, monkeypatch, capsys):
    root = small_express4d(tmp_path / "e")
    out = tmp_path / "ds"
    assert run_recipe("express4d", "--root", root, "--out", out, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    rc, err = run_recipe("express4d", "--root", root, "--out", out, monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 2 and "--overwrite" in err
    rc, _ = run_recipe("express4d", "--root", root, "--out", out, "--overwrite",
                       monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0 and set(COLUMNS) <= set(datasets.load_from_disk(str(out))["train"].column_names)


def test_livelinkface_gaps_are_split_filled_and_logged(tmp_path, monkeypatch, capsys):
    from tests.motion.csv_builders import lose_tracking
    root = tmp_path / "takes"
    root.mkdir()
    # a: 40 lost rows (0.67 s at 60 fps) -> two pieces; b: 2 lost rows -> filled; c: clean
    (root / "a.csv").write_text(lose_tracking(take_csv(random_values(100, seed=1)), range(40, 80)))
    (root / "b.csv").write_text(lose_tracking(take_csv(random_values(50, seed=2)), [10, 11]))
    (root / "c.csv").write_text(take_csv(random_values(50, seed=3)))
    (root / "captions.csv").write_text("file,text,subject\na.csv,smiles,s1\nb.csv,frowns,s2\n"
                                       "c.csv,blinks,s3\n")
    out = tmp_path / "ds"
    rc, err = run_recipe("livelinkface", "--root", root, "--captions", root / "captions.csv",
                         "--out", out, "--split", "clip", monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    rows = {r["id"]: r for split in datasets.load_from_disk(str(out)).values() for r in split}
    assert sorted(rows) == ["llf_a_p1", "llf_a_p2", "llf_b", "llf_c"]
    assert [len(rows[i]["motion"]) for i in ("llf_a_p1", "llf_a_p2", "llf_b")] == [40, 20, 50]
    assert json.loads(rows["llf_a_p2"]["attributes"]) == {"piece": 2, "pieces": 2}
    notes = {Path(s["source"]).name: s["note"] for s in skipped(out) if "note" in s}
    assert set(notes) == {"a.csv", "b.csv"}
    assert "40 tracking-loss rows" in notes["a.csv"] and "40 split" in notes["a.csv"]
    assert "2 tracking-loss rows" in notes["b.csv"] and "2 filled" in notes["b.csv"]
    assert "note: 2 inputs changed" in err


def test_livelinkface_recipe_accounts_for_every_row_of_the_real_s88(tmp_path, monkeypatch, capsys):
    from tests.conftest import SHARED_ASSETS
    take = SHARED_ASSETS / "livelinkface" / "alexdjulin_S88-001.csv"
    if not take.exists():
        import pytest
        pytest.skip("shared take alexdjulin_S88-001.csv not available")
    root = tmp_path / "takes"
    root.mkdir()
    (root / "s88.csv").symlink_to(take)
    (root / "captions.csv").write_text("file,text,subject\ns88.csv,talks,alex\n")
    out = tmp_path / "ds"
    rc, _ = run_recipe("livelinkface", "--root", root, "--captions", root / "captions.csv",
                       "--out", out, "--split", "clip", monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    rows = [r for split in datasets.load_from_disk(str(out)).values() for r in split]
    note = next(s["note"] for s in skipped(out) if "note" in s)
    assert "277 tracking-loss rows" in note and "lines 384-512" in note
    # 1662 tracked rows + 2 filled skipped timecodes are in the rows; the rest is in the note
    assert sum(len(r["motion"]) for r in rows) == 1662 + 2 and len(rows) == 4
