"""Descriptions of a script: 3-5 distinct paraphrases from templates and synonyms.

The first description is canonical (first phrase and first word of every choice below), so the
same script always gets the same ``text``; the others vary subject, synonyms, word order and
connectives. Conventions a reader of the corpus can rely on: no intensity word means
"moderate", no speed word means "normal", no count means once.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from tdmm_lm.data.facescript.plan import SegmentSpec
from tdmm_lm.data.facescript.primitives import PRIMITIVES

SUBJECTS: tuple[str, ...] = ("A person", "Someone", "The person", "The subject", "The actor",
                             "The performer")
# (word, goes before the verb?) per level; "" = say nothing
INTENSITY_WORDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "slight": (("slightly", True), ("a little", False), ("faintly", True), ("subtly", True)),
    "moderate": (("", True), ("moderately", True), ("clearly", True)),
    "strong": (("strongly", True), ("intensely", True), ("very strongly", True),
               ("with great intensity", False)),
}
SPEED_WORDS: dict[str, tuple[str, ...]] = {
    "slow": ("slowly", "gradually", "unhurriedly"),
    "normal": ("",),
    "quick": ("quickly", "rapidly", "swiftly"),
}
REPETITION_WORDS: dict[int, tuple[str, ...]] = {
    1: ("",), 2: ("twice", "two times"), 3: ("three times", "thrice"),
}
# connectives: "{3}" = third-person clause, "{ger}" = gerund clause, "{base}" = base form
THEN_JOINS: tuple[str, ...] = (", then {3}", " and then {3}", ". Then they {base}",
                               ", after which they {base}", " before {ger}",
                               ", and afterwards {3}")
WHILE_JOINS: tuple[str, ...] = (" while {ger}", " while also {ger}", " and at the same time {3}",
                                " as they {base}", ", {ger} at the same time")
_VOWELS = "aeiou"
_MAX_TRIES = 60


def third_person(phrase: str) -> str:
    """``"shake their head"`` -> ``"shakes their head"`` (inflects the first word)."""
    verb, _, rest = phrase.partition(" ")
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        verb += "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {rest}".strip()


def doubles_final(verb: str) -> bool:
    """Whether ``verb`` doubles its last letter before -ing/-ed: one vowel, then one consonant
    other than w/x/y at the end ("nod", "grin", "let"; not "look", "open", "gasp")."""
    vowels = [i for i, ch in enumerate(verb) if ch in _VOWELS]
    return (len(vowels) == 1 and vowels[0] == len(verb) - 2 and verb[-1] not in _VOWELS + "wxy")


def gerund(phrase: str) -> str:
    """``"smile broadly"`` -> ``"smiling broadly"``, ``"nod"`` -> ``"nodding"``."""
    verb, _, rest = phrase.partition(" ")
    if doubles_final(verb):
        verb += verb[-1] + "ing"
    elif verb.endswith("e") and not verb.endswith("ee"):
        verb = verb[:-1] + "ing"
    else:
        verb += "ing"
    return f"{verb} {rest}".strip()


def _pick(options: Sequence, rng: np.random.Generator | None):
    """The first option when canonical (``rng is None``), else a random one."""
    return options[0] if rng is None else options[rng.integers(len(options))]


def clause(spec: SegmentSpec, rng: np.random.Generator | None,
           phrases: Mapping[str, Sequence[str]] | None = None) -> tuple[str, str]:
    """One segment as (base-form verb phrase with trailing modifiers, adverbs that go before
    the verb): ``("nod twice", "quickly")``. Kept apart so the verb can still be inflected.
    ``phrases``: the verb phrases per action to draw from (default: the primitives' own)."""
    prim = PRIMITIVES[spec.action]
    options = prim.phrases if phrases is None else phrases[spec.action]
    phrase = _pick(options, rng).format(their="their", side=spec.side or "")
    verb, _, rest = phrase.partition(" ")
    pre: list[str] = []
    post: list[str] = [rest] if rest else []
    if prim.graded:
        word, before = _pick(INTENSITY_WORDS[spec.intensity], rng)
        (pre if before else post).append(word)
    post.append(_pick(REPETITION_WORDS[spec.repetitions], rng))
    speed = _pick(SPEED_WORDS[spec.speed], rng)
    if rng is not None and not any(pre) and rng.random() < 0.5:  # one adverb before the verb
        pre.append(speed)
    else:
        post.append(speed)
    return " ".join(w for w in [verb, *post] if w), " ".join(w for w in pre if w)


def _inflect(parts: tuple[str, str], form: str) -> str:
    phrase, pre = parts
    verb = {"3": third_person, "ger": gerund, "base": lambda p: p}[form](phrase)
    return f"{pre} {verb}".strip()


def describe(specs: Sequence[SegmentSpec], rng: np.random.Generator | None,
             phrases: Mapping[str, Sequence[str]] | None = None) -> str:
    """One sentence for the whole script; canonical when ``rng`` is None (``phrases``: see
    ``clause``)."""
    parts = [clause(s, rng, phrases) for s in specs]
    text = f"{_pick(SUBJECTS, rng)} {_inflect(parts[0], '3')}"
    they = False  # once a clause says "they", later finite verbs agree with it
    for spec, part in zip(specs[1:], parts[1:]):
        join = _pick(THEN_JOINS if spec.relation == "then" else WHILE_JOINS, rng)
        form = next(f for f in ("3", "ger", "base") if "{" + f + "}" in join)
        they = they or "they" in join
        verb_form = "base" if form == "3" and they else form
        text += join.replace("{" + form + "}", _inflect(part, verb_form))
    return text + "."


def paraphrases(specs: Sequence[SegmentSpec], rng: np.random.Generator) -> list[str]:
    """3-5 distinct descriptions; ``[0]`` is the canonical one."""
    want = int(rng.integers(3, 6))
    texts = [describe(specs, None)]
    for _ in range(_MAX_TRIES):
        if len(texts) >= want:
            break
        candidate = describe(specs, rng)
        if candidate not in texts:
            texts.append(candidate)
    return texts
