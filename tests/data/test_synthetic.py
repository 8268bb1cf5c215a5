"""FaceScript corpus: determinism, layout, per-primitive behaviour, text and attributes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tdmm_lm.data.synthetic import (ATTRIBUTE_FIELDS, EMOTIONS, HEAD_MOTIONS, INTENSITIES,
                                    PRIMITIVES, RELATIONS, SPEEDS, FaceScriptConfig,
                                    generate_corpus, generate_sample, sample_to_motion,
                                    subject_style)
from tdmm_lm.data.schema import validate_row
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES, flame_channels

ARKIT = FaceScriptConfig(num_samples=40, seed=7)
SUBJECT = "fs_s005"


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return list(generate_corpus(ARKIT))


def forced(*segments: dict, index: int = 0, fps: float = 60.0, subject: str = SUBJECT) -> dict:
    """A single sample with a forced script, at 60 fps so short pulses are well sampled."""
    return generate_sample(FaceScriptConfig(seed=1, fps=fps), index, segments=list(segments),
                           subject=subject)


def window(row: dict, seg: int = 0) -> tuple[np.ndarray, dict]:
    """Frames of segment ``seg`` (from its attributes) and those attributes."""
    attrs = json.loads(row["attributes"])["segments"][seg]
    t = np.arange(len(row["motion"])) / row["fps"]
    return row["motion"][(t >= attrs["start_s"]) & (t <= attrs["end_s"])], attrs


def col(name: str) -> int:
    return ARKIT61_CHANNELS.index(name)


# --- determinism -------------------------------------------------------------------------------

def test_same_seed_and_index_is_bit_identical_and_order_independent(corpus):
    again = generate_sample(ARKIT, 13)
    alone = generate_sample(FaceScriptConfig(num_samples=1, seed=7), 13)  # corpus size differs
    for row in (again, alone):
        assert np.array_equal(row["motion"], corpus[13]["motion"])
        assert row["texts"] == corpus[13]["texts"]
        assert row["attributes"] == corpus[13]["attributes"]
        assert row["subject"] == corpus[13]["subject"]
    reversed_rows = [generate_sample(ARKIT, i) for i in reversed(range(5))][::-1]
    assert all(np.array_equal(a["motion"], b["motion"]) for a, b in zip(reversed_rows, corpus))


def test_different_seeds_and_indices_differ(corpus):
    other = generate_sample(FaceScriptConfig(seed=8), 13)
    assert other["motion"].shape != corpus[13]["motion"].shape or not np.allclose(
        other["motion"], corpus[13]["motion"])
    assert len({r["text"] for r in corpus}) > 30  # scripts vary across indices
    assert corpus[0]["source"] == "facescript:seed=7:index=0"
    assert len({r["id"] for r in corpus}) == len(corpus)


# --- layout and ranges -------------------------------------------------------------------------

def test_arkit_layout_ranges_and_duration(corpus):
    for row in corpus:
        m = row["motion"]
        assert m.dtype == np.float32 and m.shape[1] == len(ARKIT61_CHANNELS) == 61
        assert row["fps"] == 30.0 and row["format"] == "arkit61"
        assert np.isfinite(m).all()
        blend = m[:, :len(ARKIT_BLENDSHAPES)]
        assert blend.min() >= 0.0 and blend.max() <= 1.0
        assert np.abs(m[:, len(ARKIT_BLENDSHAPES):]).max() < 1.0  # radians, no wild angles
        assert 2.0 - 1 / 30 <= len(m) / 30 <= 6.0 + 1 / 30
    motion = sample_to_motion({**corpus[0], "motion": corpus[0]["motion"].tolist()})  # as loaded
    assert motion.channels == ARKIT61_CHANNELS and motion.meta["subject"] == corpus[0]["subject"]
    assert np.array_equal(motion.data, corpus[0]["motion"])


def test_flame_layout_and_fps():
    row = generate_sample(FaceScriptConfig(format="flame", seed=7), 3)
    assert row["fps"] == 25.0 and row["motion"].shape[1] == 56
    assert np.isfinite(row["motion"]).all()
    motion = sample_to_motion(row)
    assert motion.channels == flame_channels(50) and motion.format.name == "flame"
    arkit = generate_sample(FaceScriptConfig(seed=7, fps=25), 3)
    assert arkit["motion"].shape[0] == row["motion"].shape[0]  # same script, other layout
    assert arkit["texts"] == row["texts"]


def test_durations_follow_config_bounds():
    cfg = FaceScriptConfig(seed=2, min_seconds=3.0, max_seconds=3.5, fps=20)
    lengths = [len(generate_sample(cfg, i)["motion"]) / 20 for i in range(30)]
    assert min(lengths) >= 3.0 - 0.05 and max(lengths) <= 3.5 + 0.05


# --- the vocabulary and each primitive's channels ----------------------------------------------

def test_vocabulary_is_large_and_well_formed():
    assert len(PRIMITIVES) >= 25
    required = {"smile_soft", "smile_broad", "laugh", "frown", "pout", "surprise", "anger",
                "disgust", "fear", "smirk", "blink", "wink", "squint", "raise_brows",
                "furrow_brows", "raise_one_brow", "open_mouth", "yawn", "pucker", "puff_cheeks",
                "press_lips", "tongue_out", "look_left", "look_right", "look_up", "look_down",
                "nod", "shake_head", "tilt_head"}
    assert required <= set(PRIMITIVES)
    assert {n for n, p in PRIMITIVES.items() if p.sided} == {"smirk", "wink", "raise_one_brow",
                                                             "tilt_head"}
    for p in PRIMITIVES.values():
        assert p.emotion in (None, *EMOTIONS) and p.channels("left") and len(p.phrases) >= 3
        assert all(("{side}" in ph) == p.sided for ph in p.phrases), p.name


def _spec(name: str) -> dict:
    p = PRIMITIVES[name]
    return {"action": name, "side": "left" if p.sided else None, "intensity": "strong"}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_moves_its_main_channels_above_rest(name):
    row = forced(_spec(name))
    frames, _ = window(row)
    style = subject_style(SUBJECT)
    pose = PRIMITIVES[name].pose_vector("left")
    main = np.flatnonzero(np.abs(pose) >= 0.15)
    assert len(main), name
    t = np.arange(len(row["motion"])) / row["fps"]
    after = row["motion"][t > json.loads(row["attributes"])["segments"][0]["end_s"] + 0.05]
    for i in main:  # signed deviation from rest, in the pose's direction
        peak = np.max((frames[:, i] - style.rest[i]) * np.sign(pose[i]))
        assert peak > 0.35 * abs(pose[i]), (name, ARKIT61_CHANNELS[i], peak)
        if len(after) and i not in (0, 7):  # over by end_s (spontaneous blinks may follow)
            assert np.abs(after[:, i] - style.rest[i]).max() < 0.3 * abs(pose[i]), name


def test_wink_is_one_sided_and_mirrors():
    for side, own, other in (("left", "eyeBlinkLeft", "eyeBlinkRight"),
                             ("right", "eyeBlinkRight", "eyeBlinkLeft")):
        frames, _ = window(forced({"action": "wink", "side": side}))
        assert frames[:, col(own)].max() > 0.8
        assert frames[:, col(own)].max() - frames[:, col(other)].max() > 0.6


def test_head_primitives_move_the_right_axis():
    nod, _ = window(forced({"action": "nod", "repetitions": 2}))
    assert nod[:, col("headPitch")].var() > 10 * nod[:, col("headYaw")].var()
    assert nod[:, col("headPitch")].max() > 0.1  # pitch > 0 = looking down
    shake, _ = window(forced({"action": "shake_head", "repetitions": 2}))
    yaw = shake[:, col("headYaw")]
    assert yaw.var() > 10 * shake[:, col("headPitch")].var() and yaw.min() < -0.1 < 0.1 < yaw.max()
    left, _ = window(forced({"action": "tilt_head", "side": "left"}))
    right, _ = window(forced({"action": "tilt_head", "side": "right"}))
    roll = col("headRoll")
    rest = subject_style(SUBJECT).rest[roll]
    assert left[:, roll].min() - rest < -0.1 and right[:, roll].max() - rest > 0.1


def test_look_left_uses_arkit_gaze_convention():
    frames, _ = window(forced({"action": "look_left", "intensity": "strong"}))
    peak = frames.max(axis=0)
    assert peak[col("eyeLookOutLeft")] > 0.5 and peak[col("eyeLookInRight")] > 0.5
    assert peak[col("eyeLookInLeft")] < 0.1 and peak[col("eyeLookOutRight")] < 0.1
    assert peak[col("leftEyeYaw")] > 0.2 and peak[col("rightEyeYaw")] > 0.2


def test_broad_smile_beats_soft_smile_and_intensity_scales():
    soft, _ = window(forced({"action": "smile_soft"}))
    broad, _ = window(forced({"action": "smile_broad"}))
    smile = col("mouthSmileLeft")
    assert broad[:, smile].max() > soft[:, smile].max() + 0.2
    peaks = [window(forced({"action": "frown", "intensity": k}))[0][:, col("mouthFrownLeft")].max()
             for k in INTENSITIES]
    assert peaks[0] + 0.1 < peaks[1] < peaks[2] - 0.1


def test_repetitions_and_speed():
    frames, attrs = window(forced({"action": "blink", "repetitions": 3}))
    closed = frames[:, col("eyeBlinkLeft")] > 0.5
    assert attrs["repetitions"] == 3 and np.count_nonzero(np.diff(closed.astype(int)) == 1) == 3
    lengths = [window(forced({"action": "nod", "speed": s}))[1] for s in ("quick", "slow")]
    quick, slow = (a["end_s"] - a["start_s"] for a in lengths)
    assert slow > 1.8 * quick


def test_forced_segments_are_validated():
    with pytest.raises(TdmmError, match="unknown action"):
        forced({"action": "moonwalk"})
    with pytest.raises(TdmmError, match="side"):
        forced({"action": "wink"})
    with pytest.raises(TdmmError, match="repetitions"):
        forced({"action": "frown", "repetitions": 2})
    with pytest.raises(TdmmError, match="1 to 3 segments"):
        forced(*[{"action": "nod"}] * 4)


# --- composition, text, attributes -------------------------------------------------------------

def test_then_segments_follow_and_while_segments_overlap(corpus):
    seen = set()
    for row in corpus:
        segs = json.loads(row["attributes"])["segments"]
        assert segs[0]["relation"] is None
        for k, s in enumerate(segs[1:], start=1):
            seen.add(s["relation"])
            if s["relation"] == "then":
                assert s["start_s"] >= max(p["end_s"] for p in segs[:k])
            else:
                assert segs[k - 1]["start_s"] <= s["start_s"] <= segs[k - 1]["end_s"]
    assert seen == set(RELATIONS)
    row = forced({"action": "smile_broad"}, {"action": "nod", "relation": "then",
                                             "repetitions": 2})
    a, b = json.loads(row["attributes"])["segments"]
    t = np.arange(len(row["motion"])) / row["fps"]
    pitch = row["motion"][:, col("headPitch")]
    assert b["start_s"] > a["end_s"]
    assert np.abs(pitch[t < a["end_s"]]).max() < np.abs(pitch[t > b["start_s"]]).max() - 0.1


def test_texts_are_distinct_paraphrases_using_the_vocabulary(corpus):
    for row in corpus:
        texts = row["texts"]
        assert 3 <= len(texts) <= 5 and len(set(texts)) == len(texts)
        assert row["text"] == texts[0]
        for seg in json.loads(row["attributes"])["segments"]:
            keywords = set(PRIMITIVES[seg["action"]].keywords)
            for text in texts:
                words = set(re.findall(r"[a-z]+", text.lower()))
                stems = {w[:4] for w in words}
                assert words & keywords or stems & {k[:4] for k in keywords}, (seg, text)
    row = forced({"action": "smile_broad"}, {"action": "blink", "repetitions": 2})
    assert row["text"] == "A person smiles broadly, then blinks twice."


def test_attributes_round_trip_with_all_fields(corpus):
    for row in corpus:
        validate_row(row)  # the dataset schema's own check
        attrs = json.loads(row["attributes"])
        assert json.loads(json.dumps(attrs)) == attrs
        assert set(ATTRIBUTE_FIELDS) <= set(attrs)
        assert attrs["emotion"] in EMOTIONS and attrs["intensity"] in INTENSITIES
        assert attrs["head_motion"]["type"] in HEAD_MOTIONS
        assert attrs["subject"] == row["subject"]
        for s in attrs["segments"]:
            assert s["action"] in PRIMITIVES and s["speed"] in SPEEDS
            assert s["side"] in (None, "left", "right") and 0 <= s["start_s"] < s["end_s"]
            assert 1 <= s["repetitions"] <= 3
        assert all(0 <= b <= attrs["duration_s"] for b in attrs["spontaneous_blinks"])
    assert {json.loads(r["attributes"])["emotion"] for r in corpus} >= {"neutral", "happy"}


def test_emotion_and_head_motion_follow_the_actions():
    attrs = json.loads(forced({"action": "anger", "intensity": "strong"},
                              {"action": "tilt_head", "side": "right", "relation": "while"}
                              )["attributes"])
    assert attrs["emotion"] == "angry"
    assert attrs["head_motion"] == {"type": "tilt", "side": "right"}
    assert json.loads(forced({"action": "blink"})["attributes"])["emotion"] == "neutral"


def test_spontaneous_blinks_are_recorded_where_the_lids_close(corpus):
    checked = 0
    for row in corpus:
        attrs = json.loads(row["attributes"])
        if any(PRIMITIVES[s["action"]].pose_vector(s["side"])[[0, 7]].any()
               for s in attrs["segments"]):
            continue  # eyelid actions close the lids too
        lid = row["motion"][:, col("eyeBlinkLeft")]
        onsets = np.flatnonzero(np.diff((lid > 0.6).astype(int)) == 1) / row["fps"]
        blinks = np.array(attrs["spontaneous_blinks"])
        assert len(onsets) == len(blinks)
        assert all(np.abs(blinks - t).min() < 0.15 for t in onsets)
        checked += len(onsets)
    assert checked >= 5


def test_subject_styles_differ_and_are_stable():
    a, b = subject_style("fs_s001"), subject_style("fs_s002")
    assert a.gain != b.gain and not np.allclose(a.rest, b.rest)
    assert subject_style("fs_s001").blink_rate == a.blink_rate
    one = forced({"action": "frown"}, subject="fs_s001")
    two = forced({"action": "frown"}, subject="fs_s002")
    assert not np.allclose(one["motion"][:5], two["motion"][:5], atol=0.01)  # resting faces
    subjects = {generate_sample(FaceScriptConfig(num_subjects=3), i)["subject"] for i in range(30)}
    assert subjects == {"fs_s000", "fs_s001", "fs_s002"}


@pytest.mark.parametrize("field, value", [("num_samples", -1), ("seed", -3), ("format", "bvh"),
                                          ("fps", 0), ("num_subjects", 0), ("min_seconds", 0.1),
                                          ("max_seconds", 1.5)])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(TdmmError, match=f"FaceScriptConfig.{field}"):
        FaceScriptConfig(**{field: value})


def test_frozen_first_samples():
    """Pinned so that a change to the generator (or to numpy's streams) is a visible decision:
    every dataset, tokenizer and benchmark number downstream depends on these bytes."""
    row = generate_sample(FaceScriptConfig(), 0)
    assert row["text"] == "A person slightly shakes their head twice."
    assert row["motion"].shape == (66, 61) and row["subject"] == "fs_s032"
    assert float(row["motion"].astype(np.float64).sum()) == pytest.approx(80.15273121880637,
                                                                          rel=1e-6)
    row = generate_sample(FaceScriptConfig(format="flame"), 1)
    assert row["text"] == "A person slightly nods three times, then looks afraid quickly."
    assert row["motion"].shape == (97, 56)
    assert float(row["motion"].astype(np.float64).sum()) == pytest.approx(26.98308659735926,
                                                                          rel=1e-6)
