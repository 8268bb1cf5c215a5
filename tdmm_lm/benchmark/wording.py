"""Unseen wording: everyday prompts and hand-made motions phrased unlike FaceScript's templates.

    prompts = load_prompts("eval/wording/prompts.yaml")      # text + seconds + rule over the motion
    l2m = score_generator(generator, prompts, seed=0)         # {"satisfied": 0.62, "rows": [...]}
    questions = load_questions("eval/wording/questions.yaml")
    m2l = score_describer(describer, questions, seed=0)       # {"named": 0.8, "only": 0.6, ...}

L2M: a prompt is satisfied when the generated motion shows the action(s) its rule asks for, as
the benchmark's detectors (``detectors.detect_many``) find them. A rule is a list of clauses that
must all hold; a clause names one action (``wink:left``; a sided action without a side matches
either side) or alternatives joined by ``|`` (``smile_broad|laugh``): everyday words such as
"beam" or "taken aback" honestly allow more than one of FaceScript's primitives.

M2L: each question is a motion built here from a few hand-drawn blendshape / head curves with
one obvious action (``expect``). ``named``: the description mentions that action (its word
pattern in ``ACTION_WORDS``, and its side when it has one); ``only``: it also mentions no other
action, so a describer that lists every action it knows does not score.

The sets live in ``eval/wording/`` and are never used for training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tdmm_lm.data.facescript.primitives import PRIMITIVES
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import ARKIT61, ARKIT61_CHANNELS
from tdmm_lm.motion.types import Motion
from tdmm_lm.yaml_config import read_yaml

FPS = 30.0   # hand-made motions and prompt lengths
# how a description names each action (lower-case regex); equal patterns = one answer
ACTION_WORDS: dict[str, str] = {
    "smile_soft": r"smil|grin", "smile_broad": r"smil|grin", "laugh": r"laugh",
    "frown": r"frown|\bsad\b", "pout": r"\bpout", "surprise": r"surpris|astonish",
    "anger": r"\bang(ry|er)|scowl|furious", "disgust": r"disgust", "fear": r"fear|afraid|scared|frighten",
    "smirk": r"smirk", "blink": r"\bblink|bat\w* (their )?eyelids", "wink": r"\bwink",
    "squint": r"squint|narrow", "raise_brows": r"(raise|lift)\w* (their |both )?(eye)?brows",
    "furrow_brows": r"furrow|knit|brows together|lower\w* (their )?eyebrows",
    "raise_one_brow": r"(raise|lift|arch)\w* (only )?(their |the )?(left|right) (eye)?brow",
    "open_mouth": r"open\w* (their |the )?mouth|mouth (falls |drops |hangs )?open|jaw drop|drop\w* (their )?jaw|part\w* (their )?lips",
    "yawn": r"yawn", "pucker": r"pucker|purs|kiss", "puff_cheeks": r"puff|cheeks with air|blow\w* up",
    "press_lips": r"press\w* (their )?lips|tighten\w* (their )?lips|compress",
    "tongue_out": r"tongue", "look_left": r"(look|glanc|turn|gaz)\w*( their eyes)?( to the| over to the)? left",
    "look_right": r"(look|glanc|turn|gaz)\w*( their eyes)?( to the| over to the)? right",
    "look_up": r"(look|glanc|gaz)\w* up|eyes upward", "look_down": r"(look|glanc|gaz)\w* down|eyes downward",
    "nod": r"\bnod", "shake_head": r"shak\w* (their )?head|head from side to side",
    "tilt_head": r"tilt|lean\w* (their )?head|cock\w* (their )?head",
}


@dataclass(frozen=True)
class WordingPrompt:
    text: str
    seconds: float
    rule: tuple[tuple[tuple[str, str | None], ...], ...]   # clauses (AND) of alternatives (OR)


@dataclass(frozen=True)
class Curve:
    """One hand-drawn curve: ``channels`` rise to ``peak`` between ``start`` and ``end`` seconds
    (``pulses`` bumps there; ``wave``: a sine swinging both ways, as a head shake)."""

    channels: tuple[str, ...]
    peak: float
    start: float
    end: float
    pulses: int = 1
    wave: bool = False


@dataclass(frozen=True)
class Question:
    name: str
    seconds: float
    curves: tuple[Curve, ...]
    expect: tuple[str, str | None]


# ---- reading the sets -----------------------------------------------------------------------

def parse_action(text: str, where: str) -> tuple[str, str | None]:
    action, _, side = str(text).strip().partition(":")
    if action not in PRIMITIVES:
        raise TdmmError(f"{where}: unknown action {action!r} (FaceScript primitives: "
                        f"{', '.join(PRIMITIVES)})")
    if side and (not PRIMITIVES[action].sided or side not in ("left", "right")):
        raise TdmmError(f"{where}: {action!r} takes no side {side!r}")
    return action, side or None


def _entries(path: str | Path, key: str) -> list[dict[str, Any]]:
    entries = read_yaml(path).get(key)
    if not isinstance(entries, list) or not entries:
        raise TdmmError(f"{path}: expected a non-empty list under {key!r}")
    return entries


def _field(entry: dict, name: str, where: str) -> Any:
    if not isinstance(entry, dict) or name not in entry:
        raise TdmmError(f"{where}: missing {name!r}")
    return entry[name]


def load_prompts(path: str | Path) -> list[WordingPrompt]:
    out = []
    for i, e in enumerate(_entries(path, "prompts")):
        where = f"{path}: prompts[{i}]"
        rule = _field(e, "rule", where)
        if not isinstance(rule, list) or not rule:
            raise TdmmError(f"{where}: 'rule' must be a non-empty list of clauses")
        clauses = tuple(tuple(parse_action(a, where) for a in str(c).split("|")) for c in rule)
        out.append(WordingPrompt(str(_field(e, "text", where)), float(e.get("seconds", 4.0)), clauses))
    return out


def load_questions(path: str | Path) -> list[Question]:
    out = []
    for i, e in enumerate(_entries(path, "questions")):
        where = f"{path}: questions[{i}]"
        seconds = float(e.get("seconds", 3.0))
        curves = []
        for j, c in enumerate(_field(e, "curves", where)):
            cw = f"{where}.curves[{j}]"
            channels = tuple(_field(c, "channels", cw))
            bad = [ch for ch in channels if ch not in ARKIT61_CHANNELS]
            if bad:
                raise TdmmError(f"{cw}: unknown ARKit channel {bad[0]!r}")
            curve = Curve(channels, float(_field(c, "peak", cw)), float(_field(c, "start", cw)),
                          float(_field(c, "end", cw)), int(c.get("pulses", 1)), bool(c.get("wave", False)))
            if not 0 <= curve.start < curve.end <= seconds or curve.pulses < 1:
                raise TdmmError(f"{cw}: needs 0 <= start < end <= seconds ({seconds}) and pulses >= 1")
            curves.append(curve)
        out.append(Question(str(_field(e, "name", where)), seconds, tuple(curves),
                            parse_action(_field(e, "expect", where), where)))
    return out


# ---- hand-made motions ------------------------------------------------------------------------

def _bump(t: np.ndarray, start: float, end: float) -> np.ndarray:
    """A raised-cosine window on [start, end] (smooth on- and offset, 1 in the middle)."""
    x = np.clip((t - start) / (end - start), 0.0, 1.0)
    return np.where((t >= start) & (t <= end), np.sin(np.pi * x) ** 0.5, 0.0)


def curve_values(curve: Curve, t: np.ndarray) -> np.ndarray:
    if curve.wave:   # full sine periods: swings both ways, ends where it started
        x = np.clip((t - curve.start) / (curve.end - curve.start), 0.0, 1.0)
        return curve.peak * np.sin(2 * np.pi * curve.pulses * x)
    edges = np.linspace(curve.start, curve.end, curve.pulses + 1)
    return curve.peak * sum(_bump(t, a, b) for a, b in zip(edges[:-1], edges[1:]))


def handmade_motion(question: Question, fps: float = FPS) -> Motion:
    """The question's motion: ARKit-61, rest pose zero, the curves added on top."""
    t = np.arange(int(round(question.seconds * fps))) / fps
    data = np.zeros((len(t), len(ARKIT61_CHANNELS)), np.float32)
    for curve in question.curves:
        values = curve_values(curve, t)
        for ch in curve.channels:
            data[:, ARKIT61_CHANNELS.index(ch)] += values
    return Motion(data, fps, ARKIT61, ARKIT61_CHANNELS, meta={"source": f"wording:{question.name}"})


# ---- scoring ------------------------------------------------------------------------------------

def satisfies(rule: WordingPrompt | Sequence, found: set[tuple[str, str | None]]) -> bool:
    """Every clause has an alternative among the detected ``(action, side)`` pairs."""
    clauses = rule.rule if isinstance(rule, WordingPrompt) else rule
    return all(any((a, s) in found if s else any(f[0] == a for f in found) for a, s in clause)
               for clause in clauses)


def mentioned(text: str) -> set[str]:
    """The actions a description names (``ACTION_WORDS``)."""
    low = text.lower()
    return {a for a, pattern in ACTION_WORDS.items() if re.search(pattern, low)}


def names_action(text: str, expect: tuple[str, str | None]) -> bool:
    action, side = expect
    return action in mentioned(text) and (side is None or side in text.lower())


def names_only(text: str, expect: tuple[str, str | None]) -> bool:
    """Names ``expect`` and no action whose word pattern differs from it."""
    same = ACTION_WORDS[expect[0]]
    return names_action(text, expect) and all(ACTION_WORDS[a] == same for a in mentioned(text))


def _fmt(clauses) -> str:
    return " & ".join("|".join(f"{a}:{s}" if s else a for a, s in c) for c in clauses)


def score_generator(generator, prompts: Sequence[WordingPrompt], *, seed: int = 0,
                    samples: int = 1) -> dict[str, Any]:
    """Fraction of (prompt, sample) pairs whose motion satisfies the prompt's rule
    (``satisfied``), and of motions in which the detectors find any action (``any_action``)."""
    from tdmm_lm.benchmark.detectors import detect_many

    fps = float(getattr(generator, "fps", FPS))
    texts = [p.text for p in prompts]
    lengths = [int(round(p.seconds * fps)) for p in prompts]
    rows, hits = [], []
    for s in range(samples):
        motions = generator.generate(texts, lengths, seed=seed + s)
        for p, events in zip(prompts, detect_many(motions)):
            found = {(e.action, e.side) for e in events}
            ok = satisfies(p, found)
            hits.append(ok)
            rows.append({"text": p.text, "rule": _fmt(p.rule), "sample": s, "ok": ok,
                         "found": sorted(f"{a}:{sd}" if sd else a for a, sd in found)})
    # a generator that rarely moves fails every rule: this tells that apart from wrong actions
    moved = float(np.mean([bool(r["found"]) for r in rows]))
    return {"satisfied": float(np.mean(hits)), "any_action": moved, "n": len(hits), "rows": rows}


def score_describer(describer, questions: Sequence[Question], *, seed: int = 0) -> dict[str, Any]:
    """Fractions of hand-made motions whose description names the expected action (``named``)
    and names nothing else (``only``)."""
    texts = describer.describe([handmade_motion(q) for q in questions], seed=seed)
    rows = [{"name": q.name, "expect": _fmt([[q.expect]]), "description": t,
             "named": names_action(t, q.expect), "only": names_only(t, q.expect)}
            for q, t in zip(questions, texts)]
    return {"named": float(np.mean([r["named"] for r in rows])),
            "only": float(np.mean([r["only"] for r in rows])), "n": len(rows), "rows": rows}
