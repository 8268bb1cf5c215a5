"""Read a description back into FaceScript attributes: which actions (and sides) it names, the
emotion, the head motion and the intensity of each action.

Deterministic and vocabulary-bound: every phrase and synonym in ``PRIMITIVES`` is compiled into a
pattern that accepts its base, third-person and gerund forms, with "their/his/her/the" for
``{their}`` and left/right for ``{side}``. Longer phrases are matched first and consume their
words, so "shut only their left eye briefly" is a wink and not also a blink. Intensity words
come from ``text.INTENSITY_WORDS`` in the few words before the verb or right after the phrase;
explicit emotion words ("happy", "angry", ...) count as well as emotional actions.

Used for M2L attribute correctness (Cor_E, Cor_M, Cor_I) and by the LM's evaluation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from tdmm_lm.data.facescript.primitives import EMOTIONS, INTENSITY_GAIN, PRIMITIVES
from tdmm_lm.data.facescript.text import INTENSITY_WORDS, gerund, third_person

_THEIR = r"(?:their|his|her|the)"
_SIDE = r"(?P<side>left|right)"
_EMOTION_WORDS: dict[str, str] = {
    "happy": "happy", "happily": "happy", "joyful": "happy", "sad": "sad", "sadly": "sad",
    "angry": "angry", "angrily": "angry", "surprised": "surprised", "astonished": "surprised",
    "disgusted": "disgusted", "disgust": "disgusted", "fearful": "fearful", "afraid": "fearful",
    "frightened": "fearful", "scared": "fearful", "contempt": "contempt",
    "contemptuous": "contempt", "neutral": "neutral",
}
_LOOKBEHIND_WORDS = 3  # an intensity adverb sits right before its verb ("strongly nods")


@dataclass
class ParsedDescription:
    """What a description says. ``actions`` in order of mention, each ``(name, side)``;
    ``intensities`` aligned with it (None when the text says nothing: FaceScript reads that as
    "moderate" for graded actions)."""

    actions: list[tuple[str, str | None]] = field(default_factory=list)
    intensities: list[str | None] = field(default_factory=list)
    emotion: str = "neutral"
    head_motion: dict[str, Any] = field(default_factory=lambda: {"type": "none", "side": None})


def _verb_forms(verb: str) -> str:
    forms = {verb, third_person(verb), gerund(verb)}
    return "(?:" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + ")"


def _phrase_pattern(phrase: str) -> str:
    verb, _, rest = phrase.partition(" ")
    words = []
    for word in rest.split():
        word = word.replace("{their}", _THEIR).replace("{side}", _SIDE)
        words.append(word if "(?" in word else re.escape(word).replace(r"\(", "("))
    return r"\b" + r"\s+".join([_verb_forms(verb), *words]) + r"\b"


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern]]:
    """(primitive, compiled pattern) for every phrase, longest phrase first."""
    pairs = []
    for name, prim in PRIMITIVES.items():
        for phrase in prim.phrases:
            # "{side}-sided" is one token in the phrase: split the placeholder off first
            text = phrase.replace("{side}-", "{side} -").replace("{side}", " {side} ")
            text = re.sub(r"\s+", " ", text).replace(" -", "-").strip()
            pairs.append((len(phrase), name, _phrase_pattern(text).replace(r"\-", r"-")))
    pairs.sort(key=lambda p: -p[0])
    return [(name, re.compile(pattern, re.IGNORECASE)) for _, name, pattern in pairs]


@lru_cache(maxsize=1)
def _intensity_patterns() -> list[tuple[str, re.Pattern]]:
    words = [(w, level) for level, options in INTENSITY_WORDS.items() for w, _ in options if w]
    words.sort(key=lambda p: -len(p[0]))  # "very strongly" before "strongly"
    return [(level, re.compile(r"\b" + re.escape(w) + r"\b", re.IGNORECASE)) for w, level in words]


_CLAUSE_BREAK = r"[,.;]|\b(?:and|then|while|before|as|after which|afterwards)\b"


def _intensity_near(text: str, start: int, end: int) -> str | None:
    """The intensity word of the clause around ``text[start:end]``: the one closest before the
    verb, else the first after the phrase (never across a connective)."""
    before = re.split(_CLAUSE_BREAK, text[:start])[-1]
    before = " ".join(before.split()[-_LOOKBEHIND_WORDS:])
    after = re.split(_CLAUSE_BREAK, text[end:], maxsplit=1)[0]
    hits = [(m.end(), level) for level, pattern in _intensity_patterns()
            for m in pattern.finditer(before)]
    if hits:
        return max(hits)[1]
    return next((level for level, pattern in _intensity_patterns() if pattern.search(after)), None)


def _dominant_emotion(parsed: ParsedDescription) -> str | None:
    """The emotion of the named emotional action with the largest intensity x nominal duration:
    the rule the ground truth uses, with the primitive's timing standing in for the unknown
    duration."""
    scored = [(INTENSITY_GAIN[level or "moderate"] * sum(PRIMITIVES[n].timing), PRIMITIVES[n].emotion)
              for (n, _), level in zip(parsed.actions, parsed.intensities) if PRIMITIVES[n].emotion]
    return max(scored, key=lambda p: p[0])[1] if scored else None


def parse_description(text: str) -> ParsedDescription:
    """The FaceScript attributes a description names (see the module docstring)."""
    remaining = text
    found: list[tuple[int, str, str | None, str | None]] = []
    for name, pattern in _patterns():
        for match in pattern.finditer(remaining):
            side = match.groupdict().get("side")
            side = side.lower() if side else None
            found.append((match.start(), name, side,
                          _intensity_near(text, match.start(), match.end())))
        # blank the matched words so shorter synonyms cannot match inside them
        remaining = pattern.sub(lambda m: " " * len(m.group(0)), remaining)
    found.sort()
    parsed = ParsedDescription()
    for _, name, side, intensity in found:
        if (name, side) not in parsed.actions:
            parsed.actions.append((name, side))
            parsed.intensities.append(PRIMITIVES[name].intensity or intensity)
    parsed.emotion = _dominant_emotion(parsed) or next(
        (_EMOTION_WORDS[w] for w in re.findall(r"[a-z]+", text.lower())
         if _EMOTION_WORDS.get(w, "neutral") != "neutral"), "neutral")
    heads = [(n, s) for n, s in parsed.actions if PRIMITIVES[n].head_motion]
    if heads:
        parsed.head_motion = {"type": PRIMITIVES[heads[0][0]].head_motion, "side": heads[0][1]}
    assert parsed.emotion in EMOTIONS
    return parsed


def attribute_scores(parsed: ParsedDescription, attributes: Mapping[str, Any] | str) -> dict[str, float | None]:
    """How well a parsed description agrees with a clip's ground-truth attributes.

    - ``actions``: share of the scripted actions it names (recall, side ignored);
    - ``action_precision``: share of the actions it names that were scripted;
    - ``sides``: share of the named sided actions whose side is right (None: none to judge);
    - ``emotion`` (Cor_E), ``head_motion`` (type, and side for tilts): 1.0 or 0.0;
    - ``intensity`` (Cor_I): share of named graded actions whose intensity is right
      (no word = moderate); None when no graded action was named.
    """
    attrs = json.loads(attributes) if isinstance(attributes, str) else attributes
    segments = attrs["segments"]
    truth = {seg["action"]: seg for seg in segments}
    named = {name: (side, level) for (name, side), level in zip(parsed.actions, parsed.intensities)}
    hits = [name for name in truth if name in named]
    sided = [name for name in hits if truth[name].get("side")]
    graded = [name for name in hits if PRIMITIVES[name].graded]
    head = attrs["head_motion"]
    head_ok = parsed.head_motion["type"] == head["type"] and (
        head["type"] != "tilt" or parsed.head_motion["side"] == head["side"])
    return {
        "actions": len(hits) / len(truth),
        "action_precision": (sum(n in truth for n in named) / len(named)) if named else 0.0,
        "sides": (sum(named[n][0] == truth[n]["side"] for n in sided) / len(sided)) if sided else None,
        "emotion": float(parsed.emotion == attrs["emotion"]),
        "head_motion": float(head_ok),
        "intensity": (sum((named[n][1] or "moderate") == truth[n]["intensity"] for n in graded)
                      / len(graded)) if graded else None,
    }
