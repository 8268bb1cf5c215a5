"""The FaceScript judge (does a motion show its prompt's primary action) and the description
parser (what a description says), checked against the corpus's own ground truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tdmm_lm.data.facescript.judge import (matches_primary_action, primary_action,
                                           strongest_action)
from tdmm_lm.data.facescript.parse import attribute_scores, parse_description
from tdmm_lm.data.schema import row_motion
from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample
from tdmm_lm.errors import TdmmError


@pytest.fixture(scope="module")
def rows():
    config = FaceScriptConfig(num_samples=80, seed=7)
    return [generate_sample(config, i) for i in range(80)]


@pytest.mark.parametrize("action,side", [("smile_broad", None), ("wink", "right"),
                                         ("raise_one_brow", "left"), ("look_down", None),
                                         ("shake_head", None), ("surprise", None)])
def test_single_action_clip_is_judged_that_action(action, side):
    segment = {"action": action, "side": side, "intensity": "strong"}
    row = generate_sample(FaceScriptConfig(seed=3), 0, segments=[segment])
    assert strongest_action(row_motion(row)) == (action, side)


def test_ground_truth_matches_far_more_often_than_mismatched_motion(rows):
    motions = [row_motion(r) for r in rows]
    own = np.mean([matches_primary_action(m, r["attributes"]) for m, r in zip(motions, rows)])
    # every motion judged against another clip's prompt: the chance level
    other = np.mean([matches_primary_action(m, r["attributes"])
                     for m, r in zip(motions, rows[1:] + rows[:1])])
    assert own > 0.65 and other < 0.2, (own, other)


def test_judge_refuses_other_formats():
    row = generate_sample(FaceScriptConfig(seed=0, format="flame"), 0)
    with pytest.raises(TdmmError, match="arkit61"):
        strongest_action(row_motion(row))
    with pytest.raises(TdmmError, match="segments"):
        primary_action({"segments": []})


def test_parser_reads_every_paraphrase_back(rows):
    scores = [attribute_scores(parse_description(t), r["attributes"]) for r in rows for t in r["texts"]]
    for key in ("actions", "action_precision", "sides"):
        values = [s[key] for s in scores if s[key] is not None]
        assert np.mean(values) == 1.0, key
    # emotion and intensity: the text does not say which action lasted longest, so rare ties
    for key in ("emotion", "head_motion", "intensity"):
        values = [s[key] for s in scores if s[key] is not None]
        assert np.mean(values) > 0.95, key


def test_parser_sides_intensity_emotion():
    parsed = parse_description("Someone very strongly winks their left eye, then slightly smiles "
                               "broadly while tilting their head to the right.")
    assert parsed.actions == [("wink", "left"), ("smile_broad", None), ("tilt_head", "right")]
    assert parsed.intensities == ["moderate", "strong", None]  # fixed-intensity actions keep theirs
    assert parsed.emotion == "happy"
    assert parsed.head_motion == {"type": "tilt", "side": "right"}
    truth = {"segments": [{"action": "wink", "side": "right", "intensity": "moderate"},
                          {"action": "frown", "side": None, "intensity": "slight"}],
             "emotion": "sad", "head_motion": {"type": "none", "side": None}, "intensity": "slight"}
    scores = attribute_scores(parsed, json.dumps(truth))
    assert scores == {"actions": 0.5, "action_precision": 1 / 3, "sides": 0.0, "emotion": 0.0,
                      "head_motion": 0.0, "intensity": None}


def test_parser_finds_nothing_in_unrelated_text():
    parsed = parse_description("The weather is nice today.")
    assert parsed.actions == [] and parsed.emotion == "neutral"
    assert parse_description("She looks happy.").emotion == "happy"
