"""The detectors find each FaceScript primitive in forced clips and nothing they were not shown;
the rule-based describer's sentences parse back to the same actions."""

import pytest

from tdmm_lm.benchmark import detectors as D
from tdmm_lm.data.facescript.flame_map import arkit_to_flame
from tdmm_lm.data.facescript.parse import parse_description
from tdmm_lm.data.facescript.primitives import PRIMITIVES, SIDES
from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample, sample_to_motion
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import Motion
from tdmm_lm.motion.formats import flame_channels

CASES = [(name, side) for name, prim in PRIMITIVES.items() if name not in D.UNRELIABLE
         for side in (SIDES if prim.sided else (None,))]
CONFIG = FaceScriptConfig(num_samples=0, seed=11)


def _clip(action, side, index=0, intensity="strong"):
    seg = {"action": action, "side": side, "intensity": intensity}
    if PRIMITIVES[action].repeatable:
        seg["repetitions"] = 2
    return sample_to_motion(generate_sample(CONFIG, index, segments=[seg]))


@pytest.fixture(scope="module")
def found():
    motions = [_clip(a, s, i) for i, (a, s) in enumerate(CASES)]
    return {case: {(e.action, e.side) for e in events}
            for case, events in zip(CASES, D.detect_many(motions))}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(x for x in c if x))
def test_each_primitive_is_found_alone(found, case):
    others = found[case] - {case, ("blink", None)}   # spontaneous blinks are real blinks
    assert case in found[case] and not others, found[case]


def test_flame_clips_are_read_through_the_facescript_map():
    motion = _clip("wink", "right", 3)
    assert D.detected_actions(arkit_to_flame(motion)) == D.detected_actions(motion)


def test_other_flame_layouts_cannot_be_judged():
    import numpy as np
    channels = flame_channels(100)
    motion = Motion(np.zeros((10, len(channels)), np.float32), 25.0, "flame", channels)
    with pytest.raises(TdmmError, match="cannot judge"):
        D.detect(motion)


def test_rest_is_no_action():
    import numpy as np
    from tdmm_lm.motion.formats import ARKIT61_CHANNELS
    still = Motion(np.full((60, 61), 0.02, np.float32), 30.0, "arkit61", ARKIT61_CHANNELS)
    assert D.detect(still) == []
    assert D.describe_events([]) == "A person keeps a neutral face."


def test_repetitions_are_counted():
    events = [e for e in D.detect(_clip("nod", None, 5)) if e.action == "nod"]
    assert len(events) == 1 and events[0].count == 2


@pytest.mark.parametrize("script", [
    [{"action": "smile_broad"}, {"action": "nod", "repetitions": 2, "relation": "then"}],
    [{"action": "raise_one_brow", "side": "left"}, {"action": "open_mouth", "relation": "then"}],
    [{"action": "anger", "intensity": "strong"}, {"action": "look_left", "relation": "while"}],
])
def test_rule_based_description_names_the_script(script):
    motion = sample_to_motion(generate_sample(CONFIG, 40, segments=script))
    text = D.build_describer(None, None).describe([motion], seed=0)[0]
    named = set(parse_description(text).actions)
    assert {(s["action"], s.get("side")) for s in script} <= named, text


def test_describer_takes_no_checkpoint():
    with pytest.raises(TdmmError):
        D.build_describer("some/folder", None)


def test_detect_command(tmp_path, cli):
    from tdmm_lm.motion import save
    motion = sample_to_motion(generate_sample(CONFIG, 7, segments=[
        {"action": "wink", "side": "left", "repetitions": 2}, {"action": "shake_head", "relation": "then"}]))
    save(motion, tmp_path / "clip.npz")
    rc, out, err = cli("eval", "detect", tmp_path / "clip.npz", "--describe")
    assert rc == 0, err
    assert "wink (left) x2" in out and "shake_head" in out
    assert "winks their left eye twice, then shakes their head" in out
