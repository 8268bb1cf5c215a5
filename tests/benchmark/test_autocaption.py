"""``tdmm-lm data autocaption``: clips of activity, captions marked automatic, nothing dropped."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest

from tdmm_lm.benchmark.autocaption import segments
from tdmm_lm.data.facescript.primitives import PRIMITIVES
from tdmm_lm.motion import ARKIT61, Motion, save

FPS = 30.0
SHARED_TAKES = Path(__file__).resolve().parents[3] / "shared" / "assets" / "livelinkface"


def take(seconds: float, actions: dict[str, tuple[float, float]], seed: int = 0) -> Motion:
    """A resting face (real-looking non-zero rest + noise) doing ``actions`` {name: (t0, t1)}
    at their strong pose, with 0.2 s ramps."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    data = np.full((n, 61), 0.05) + 0.005 * rng.standard_normal((n, 61))
    data[:, 52:] = 0.0
    t = np.arange(n) / FPS
    for name, (t0, t1) in actions.items():
        env = np.clip(np.minimum(t - t0, t1 - t) / 0.2, 0, 1)[:, None]
        data += env * PRIMITIVES[name].pose_vector(None)[None]
    return Motion(data.astype(np.float32), FPS, ARKIT61, ARKIT61.channels)


def test_segments_cover_bursts_within_limits():
    act = np.zeros(int(40 * FPS))
    act[int(5 * FPS):int(5.5 * FPS)] = 1.0          # short: grown to 2 s
    act[int(12 * FPS):int(30 * FPS)] = 1.0          # long: cut into pieces of <= 8 s
    spans = segments(act, FPS, 2.0, 8.0)
    lengths = [(e - s) / FPS for s, e in spans]
    assert all(2.0 <= x <= 8.0 for x in lengths), lengths
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))       # no shared frames
    assert spans[0][0] <= 5 * FPS and spans[0][1] >= 5.5 * FPS
    covered = np.zeros(len(act), bool)
    for s, e in spans:
        covered[s:e] = True
    assert covered[act > 0].all() and not covered[int(36 * FPS):].any()


@pytest.fixture
def takes(tmp_path):
    root = tmp_path / "takes"
    root.mkdir()
    plan = {"a": {"smile_broad": (3.0, 4.5), "raise_brows": (10.0, 10.8)},
            "b": {"pucker": (4.0, 5.5)}, "c": {"furrow_brows": (2.0, 4.0)}}
    for k, (name, actions) in enumerate(plan.items()):
        save(take(14.0, actions, seed=k), root / f"{name}.csv")
    (root / "broken.csv").write_text("Timecode,BlendShapeCount\n1,2\n")
    save(take(1.0, {}), root / "short.csv")
    return root, plan


def test_autocaption_cli(takes, cli, tmp_path):
    root, plan = takes
    out = tmp_path / "auto"
    rc, stdout, err = cli("data", "autocaption", root, "--out", out)
    assert rc == 0, err
    dd = datasets.load_from_disk(str(out))
    rows = [r for split in dd.values() for r in split]
    by_take: dict[str, list] = {}
    for r in rows:
        a = json.loads(r["attributes"])
        assert a["caption_source"] == "auto" and 0.0 <= a["confidence"] <= 1.0
        assert r["texts"] == [r["text"]] and r["subject"] == Path(a["take"]).stem
        assert 2.0 - 1e-6 <= a["end_s"] - a["start_s"] <= 8.0 + 1e-6
        by_take.setdefault(r["subject"], []).append(a)
    for name, actions in plan.items():
        for action, (t0, t1) in actions.items():
            hits = [a for a in by_take[name] if a["start_s"] <= t0 and a["end_s"] >= t1]
            assert len(hits) == 1, (name, action, by_take[name])
            named = [e["action"] for e in hits[0]["evidence"]["events"]]
            assert action in named
            assert all(e["margin"] >= 1.0 for e in hits[0]["evidence"]["events"])
    assert sum(len(v) for v in by_take.values()) == 4           # one clip per action, no rest clips
    text = next(r["text"] for r in rows if json.loads(r["attributes"])["take"].endswith("a.csv")
                and json.loads(r["attributes"])["start_s"] < 3)
    assert "smil" in text
    reasons = {Path(json.loads(line)["source"]).name: json.loads(line)["reason"]
               for line in (out / "skipped.jsonl").read_text().splitlines()}
    assert set(reasons) == {"broken.csv", "short.csv"} and "shorter than one clip" in reasons["short.csv"]
    assert "captioned AUTOMATICALLY" in (out / "README.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--min-seconds", "5", "--max-seconds", "2"], "--min-seconds must be > 0"),
    (["--min-seconds", "0"], "--min-seconds must be > 0"),
])
def test_autocaption_bad_flags(takes, cli, tmp_path, args, message):
    rc, _, err = cli("data", "autocaption", takes[0], "--out", tmp_path / "o", *args)
    assert rc == 2 and message in err and err.count("\n") == 1


def test_autocaption_missing_folder(cli, tmp_path):
    rc, _, err = cli("data", "autocaption", tmp_path / "nope", "--out", tmp_path / "o")
    assert rc == 2 and "not a folder of takes" in err


def test_shared_real_takes_are_all_accounted_for(cli, tmp_path):
    if not SHARED_TAKES.is_dir():
        pytest.skip("shared real takes not available (no ../shared beside the clone)")
    out = tmp_path / "real"
    rc, _, err = cli("data", "autocaption", SHARED_TAKES, "--out", out, "--split", "clip")
    assert rc == 0, err
    files = sorted(p.name for p in SHARED_TAKES.glob("*.csv"))
    rows = [r for split in datasets.load_from_disk(str(out)).values() for r in split]
    log = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    for name in files:   # every real take loads (gaps filled or split) and gives clips
        assert any(Path(json.loads(r["attributes"])["take"]).name == name for r in rows), name
    # S88 lost tracking three times: its clips come from pieces, and the log says so
    pieces = {json.loads(r["attributes"]).get("piece") for r in rows if "S88" in r["id"]}
    assert len(pieces - {None}) >= 2
    assert any("S88" in e["source"] and "tracking-loss rows" in e.get("note", "") for e in log)


def test_a_face_resting_away_from_zero_is_not_an_action(tmp_path, cli):
    """Like alexdjulin_S07: gaze rests at eyeLookUp 0.4 and drops to 0 in each blink. Judged
    against the clip's low percentile, every clip "looked up"; against the take's rest, only
    the smile is an action."""
    root = tmp_path / "takes"
    root.mkdir()
    for k in range(3):
        m = take(16.0, {"smile_broad": (6.0, 7.5)}, seed=k)
        up = [m.index(c) for c in ("eyeLookUpLeft", "eyeLookUpRight", "eyeWideLeft", "eyeWideRight")]
        m.data[:, up] = 0.4
        for t0 in np.arange(1.0, 16.0, 3.0):
            m.data[int(t0 * FPS):int((t0 + 0.2) * FPS), up] = 0.0
        save(m, root / f"t{k}.csv")
    rc, _, err = cli("data", "autocaption", root, "--out", tmp_path / "o")
    assert rc == 0, err
    rows = [r for split in datasets.load_from_disk(str(tmp_path / "o")).values() for r in split]
    named = [e["action"] for r in rows for e in json.loads(r["attributes"])["evidence"]["events"]]
    assert named.count("smile_broad") == 3 and "look_up" not in named and "look_down" not in named
