"""The WordNet prompt lexicon: wider words for the same actions, for L2M training prompts only."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np

from tdmm_lm.data.facescript.lexicon import reworded, reworded_rows, wide_phrases
from tdmm_lm.data.facescript.primitives import PRIMITIVES
from tdmm_lm.data.facescript.text import gerund, third_person

LEXICON = json.loads(resources.files("tdmm_lm.data.facescript").joinpath("lexicon.json").read_text())


def _forms(phrase: str, side: str | None) -> set[str]:
    base = phrase.format(their="their", side=side or "")
    return {base, third_person(base), gerund(base)}


def test_lexicon_names_known_actions_and_keeps_them_apart():
    phrases = LEXICON["phrases"]
    assert set(phrases) <= set(PRIMITIVES) and sum(map(len, phrases.values())) >= 40
    assert "WordNet" in LEXICON["licence"] and "Princeton" in LEXICON["licence"]
    own = {p: set(PRIMITIVES[p].phrases) for p in PRIMITIVES}
    for action, extra in phrases.items():
        for phrase in extra:
            phrase.format(their="their", side="left")              # only the known slots
            assert all(phrase not in own[o] for o in own if o != action), phrase
    assert "chuckle" in phrases["laugh"] and "look furious" in phrases["anger"]


def test_wide_phrases_start_with_the_actions_own():
    wide = wide_phrases()
    for name, prim in PRIMITIVES.items():
        assert wide[name][:len(prim.phrases)] == tuple(prim.phrases)
    assert len(wide["laugh"]) > len(PRIMITIVES["laugh"].phrases)


def test_reworded_keeps_the_script_and_uses_wider_words():
    attrs = {"segments": [{"action": "laugh", "side": None, "intensity": "strong", "speed": "quick",
                           "repetitions": 1, "relation": None},
                          {"action": "look_left", "side": None, "intensity": "moderate",
                           "speed": "normal", "repetitions": 1, "relation": "then"}]}
    texts = [t for _ in range(30) for t in reworded(attrs, 2, np.random.default_rng(_))]
    assert len(texts) == 60
    for text in texts:
        low = text.lower()
        # each action is said once, with one of its (wide) phrases in some inflection
        for action in ("laugh", "look_left"):
            assert any(f in low for p in wide_phrases()[action] for f in _forms(p, None)), text
        assert re.search(r"then|after|before", low), text               # the order is kept
    lexicon_laughs = LEXICON["phrases"]["laugh"]
    assert any(any(f in t.lower() for p in lexicon_laughs for f in _forms(p, None)) for t in texts)


def test_reworded_needs_a_facescript_script_and_is_reproducible():
    assert reworded({"segments": []}, 2, np.random.default_rng(0)) == []
    assert reworded({"source": "take.csv"}, 2, np.random.default_rng(0)) == []
    assert reworded('{"segments": [{"action": "juggle"}]}', 2, np.random.default_rng(0)) == []
    rows = [json.dumps({"segments": [{"action": a, "side": None, "intensity": "moderate",
                                      "speed": "normal", "repetitions": 1, "relation": None}]})
            for a in ("frown", "surprise", "nod")]
    first = reworded_rows(rows, 2, seed=3)
    assert first == reworded_rows(rows, 2, seed=3) and all(len(r) == 2 for r in first[:2])


def test_lexicon_recipe_inflects_and_rejects_a_folder_without_wordnet(tmp_path, monkeypatch, capsys):
    import runpy
    import sys
    from pathlib import Path
    recipe = runpy.run_path(str(Path(__file__).resolve().parents[2] / "data_recipes" /
                                "wordnet_lexicon.py"), run_name="recipe_under_test")
    pp = recipe["past_participle"]
    assert [pp(v) for v in ("revolt", "disgust", "gross out", "sicken", "startle", "pet")] == \
        ["revolted", "disgusted", "grossed out", "sickened", "startled", "petted"]
    monkeypatch.setattr(sys, "argv", ["wordnet_lexicon.py", "--wordnet", str(tmp_path),
                                      "--out", str(tmp_path / "lexicon.json")])
    assert recipe["main"]() == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(tmp_path) in err and not (tmp_path / "lexicon.json").exists()
