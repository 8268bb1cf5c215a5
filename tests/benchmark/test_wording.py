"""The unseen-wording sets and their scoring: a still face satisfies nothing, FaceScript motions
of the asked actions satisfy the rules, hand-drawn curves read as their action, and a describer
that names every action is not rewarded."""

from pathlib import Path

import numpy as np
import pytest

from tdmm_lm.benchmark.wording import (ACTION_WORDS, Curve, Question, handmade_motion,
                                       load_prompts, load_questions, names_action, names_only,
                                       satisfies, score_describer, score_generator)
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS
from tdmm_lm.motion.types import Motion

REPO = Path(__file__).resolve().parents[2]
PROMPTS = REPO / "eval" / "wording" / "prompts.yaml"
QUESTIONS = REPO / "eval" / "wording" / "questions.yaml"


class Neutral:
    """A generator that never moves the face."""

    name, fps = "neutral", 30.0

    def generate(self, texts, lengths, *, seed):
        return [Motion(np.zeros((n, 61), np.float32), 30.0, ARKIT61, ARKIT61_CHANNELS) for n in lengths]


class Scripted:
    """FaceScript renders the first alternative of every clause, strongly, one after another."""

    name, fps = "scripted", 30.0

    def __init__(self, prompts):
        self.rules = {p.text: p.rule for p in prompts}

    def generate(self, texts, lengths, *, seed):
        from tdmm_lm.data.facescript.compose import generate_sample
        from tdmm_lm.data.synthetic import FaceScriptConfig
        out = []
        for i, text in enumerate(texts):
            segs = [{"action": c[0][0], "side": c[0][1], "intensity": "strong",
                     "relation": None if k == 0 else "then"} for k, c in enumerate(self.rules[text])]
            row = generate_sample(FaceScriptConfig(num_samples=1, seed=seed), i, segments=segs)
            out.append(Motion(row["motion"], row["fps"], ARKIT61, ARKIT61_CHANNELS))
        return out


@pytest.fixture(scope="module")
def prompts():
    return load_prompts(PROMPTS)


@pytest.fixture(scope="module")
def questions():
    return load_questions(QUESTIONS)


def test_the_sets_are_the_size_asked_and_unlike_the_templates(prompts, questions):
    from tdmm_lm.data.facescript.primitives import PRIMITIVES
    assert len(prompts) >= 40 and len(questions) >= 12
    # no prompt is a FaceScript phrase with a subject in front ("A person winks their left eye")
    phrases = {ph.format(their="their", side=s).split(" ")[0] for p in PRIMITIVES.values()
               for ph in p.phrases for s in ("left", "right")}
    assert not any(p.text.lower().startswith(("a person", "someone", "the person")) for p in prompts)
    assert len({p.text.split(" ")[0].lower() for p in prompts} - phrases) >= 25


def test_a_still_face_satisfies_no_prompt(prompts):
    result = score_generator(Neutral(), prompts, seed=0)
    assert result["satisfied"] == 0.0 and result["any_action"] == 0.0 and result["n"] == len(prompts)


def test_motions_of_the_asked_actions_satisfy_the_rules(prompts):
    result = score_generator(Scripted(prompts), prompts, seed=3)
    failed = [r["text"] for r in result["rows"] if not r["ok"]]
    assert result["satisfied"] >= 0.9, failed


def test_a_jaw_open_curve_satisfies_mouth_open_and_not_smile():
    q = Question("jaw", 3.0, (Curve(("jawOpen",), 0.8, 0.5, 2.5),), ("open_mouth", None))
    from tdmm_lm.benchmark.detectors import detected_actions
    found = detected_actions(handmade_motion(q))
    assert satisfies([[("open_mouth", None)]], found)
    assert not satisfies([[("smile_broad", None), ("laugh", None)]], found)
    assert not satisfies([[("open_mouth", None)], [("nod", None)]], found)   # every clause


def test_sides_count_only_when_asked():
    left = {("wink", "left")}
    assert satisfies([[("wink", "left")]], left)
    assert not satisfies([[("wink", "right")]], left)
    assert satisfies([[("wink", None)]], left)


def test_every_handmade_motion_shows_its_action_to_the_detectors(questions):
    """At the level descriptions are judged: a soft smile for a drawn big smile is a smile."""
    from tdmm_lm.benchmark.detectors import detect_many
    for q, events in zip(questions, detect_many([handmade_motion(q) for q in questions])):
        action, side = q.expect
        found = {(a, s) for e in events for a, s in [(e.action, e.side)]
                 if ACTION_WORDS[a] == ACTION_WORDS[action]}
        assert any(s == side for _, s in found), (q.name, events)


class Fixed:
    def __init__(self, text):
        self.name, self.text = "fixed", text

    def describe(self, motions, *, seed):
        return [self.text] * len(motions)


def test_naming_every_action_is_not_rewarded(questions):
    spam = "A person smiles, laughs, frowns, pouts, winks their left and right eye, nods, " \
           "shakes their head, opens their mouth, looks up, looks to the left, puckers their " \
           "lips, puffs out their cheeks, sticks out their tongue, raises their eyebrows, " \
           "furrows their brows, looks disgusted and presses their lips together."
    result = score_describer(Fixed(spam), questions)
    assert result["named"] == 1.0 and result["only"] == 0.0
    one = score_describer(Fixed("Someone's jaw drops."), questions)
    assert one["named"] == pytest.approx(1 / len(questions)) and one["only"] == one["named"]


def test_description_matching():
    assert names_action("The left eye winks.", ("wink", "left"))
    assert not names_action("The right eye winks.", ("wink", "left"))
    assert names_only("A person grins widely.", ("smile_broad", None))
    assert not names_only("A person grins and nods.", ("smile_broad", None))


@pytest.mark.parametrize("body, match", [
    ("prompts:\n  - {text: hi, rule: [smile_huge]}\n", r"prompts\[0\]: unknown action 'smile_huge'"),
    ("prompts:\n  - {text: hi, rule: ['nod:left']}\n", r"prompts\[0\]: 'nod' takes no side"),
    ("prompts:\n  - {text: hi}\n", r"prompts\[0\]: missing 'rule'"),
    ("prompts: []\n", "non-empty list under 'prompts'"),
])
def test_bad_prompt_files_are_one_line_errors(tmp_path, body, match):
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(TdmmError, match=match):
        load_prompts(path)


def test_bad_question_curves_are_one_line_errors(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("questions:\n  - name: x\n    expect: nod\n    curves:\n"
                    "      - {channels: [jawOpn], peak: 1, start: 0, end: 1}\n")
    with pytest.raises(TdmmError, match=r"questions\[0\].curves\[0\]: unknown ARKit channel 'jawOpn'"):
        load_questions(path)
