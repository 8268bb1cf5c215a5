"""FaceScript's realism layer: captured-looking curves with exactly the same labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tdmm_lm.benchmark.detectors import detected_actions
from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample, sample_to_motion
from tdmm_lm.motion.formats import ARKIT61_CHANNELS

CLEAN, REAL = FaceScriptConfig(seed=3), FaceScriptConfig(seed=3, realism=True)


def col(name: str) -> int:
    return ARKIT61_CHANNELS.index(name)


def pair(index: int, **kw) -> tuple[dict, dict]:
    return generate_sample(CLEAN, index, **kw), generate_sample(REAL, index, **kw)


def test_labels_text_and_timing_are_unchanged():
    for i in range(12):
        clean, real = pair(i)
        assert real["attributes"] == clean["attributes"]
        assert (real["texts"], real["subject"]) == (clean["texts"], clean["subject"])
        assert real["motion"].shape == clean["motion"].shape
        assert not np.array_equal(real["motion"], clean["motion"])
    again = generate_sample(REAL, 5)
    assert np.array_equal(again["motion"], generate_sample(REAL, 5)["motion"])


def test_faces_rest_off_zero_like_real_ones():
    # real performers rest with mouthStretch around 0.07-0.18 (README of the shared takes)
    rests = {name: [np.percentile(generate_sample(cfg, i)["motion"][:, col("mouthStretchLeft")], 5)
                    for i in range(20)] for name, cfg in (("clean", CLEAN), ("real", REAL))}
    assert np.median(rests["clean"]) < 0.04
    assert 0.06 < np.median(rests["real"]) < 0.3


@pytest.mark.parametrize("action, driver, follower", [("blink", "eyeBlinkLeft", "eyeSquintLeft"),
                                                      ("open_mouth", "jawOpen", "jawForward"),
                                                      ("open_mouth", "jawOpen", "mouthStretchLeft")])
def test_channels_co_activate(action, driver, follower):
    script = [{"action": action}]
    clean, real = pair(0, segments=script, subject="fs_s001")
    corr = {}
    for name, row in (("clean", clean), ("real", real)):
        d, f = row["motion"][:, col(driver)], row["motion"][:, col(follower)]
        corr[name] = np.corrcoef(d, f)[0, 1]
    assert corr["real"] > 0.8 and corr["real"] > corr["clean"] + 0.2, corr


def test_gaze_moves_in_small_saccades_and_stays_below_a_glance():
    yaw = [generate_sample(REAL, i)["motion"][:, col("leftEyeYaw")] for i in range(20)]
    clean = [generate_sample(CLEAN, i)["motion"][:, col("leftEyeYaw")] for i in range(20)]
    steps = np.abs(np.concatenate([np.diff(y) for y in yaw]))
    assert (steps > 0.015).mean() > 0.01          # some fast steps: saccades
    # without a scripted look, the gaze never reaches what the detectors call a glance
    quiet = [y for y, i in zip(yaw, range(20)) if "look" not in generate_sample(REAL, i)["attributes"]]
    assert quiet and max(np.ptp(y) for y in quiet) < 0.09
    assert np.mean([y.std() for y in yaw]) > np.mean([y.std() for y in clean]) * 0.5


def test_tracking_noise_is_at_the_real_level():
    # white-noise std from second differences of a resting channel (real takes: <= 0.0006)
    def noise(row):
        d2 = np.diff(row["motion"][:, col("cheekPuff")].astype(np.float64), 2)
        return 1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6)
    clean, real = pair(1, segments=[{"action": "nod"}])
    assert noise(real) < 0.001 < noise(clean)


@pytest.mark.parametrize("action", ["yawn", "open_mouth", "squint", "blink", "laugh",
                                    "furrow_brows", "look_left", "smile_soft"])
def test_detectors_still_find_the_script(action):
    for i in range(3):
        row = generate_sample(REAL, i, segments=[{"action": action}])
        found = {a for a, _ in detected_actions(sample_to_motion(row))}
        assert action in found, (action, i, found)
        spontaneous = bool(json.loads(row["attributes"]).get("spontaneous_blinks"))
        assert found <= {action} | ({"blink"} if spontaneous or action == "squint" else set()), found
