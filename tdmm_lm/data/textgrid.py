"""Praat TextGrid word transcripts (BEAT2 ships one per clip), read without executing anything.

    words = read_words(Path("2_scott_0_1_1.TextGrid"))    # [(start_s, end_s, "word"), ...]
    transcript(words)                                     # "so I think that ..."

Praat writes two text layouts (the long one with ``xmin = 0`` labels and the short one with bare
values). Praat's own reader ignores labels and reads a stream of numbers, quoted strings and
``<flags>``; so does this one, which makes both layouts one grammar:

    "ooTextFile" "TextGrid" xmin xmax <exists> n_tiers
    per tier: "IntervalTier" name xmin xmax n  then n x (xmin xmax "text")
          or: "TextTier"     name xmin xmax n  then n x (time "mark")

Strings double their quotes (``""``). Files are UTF-8 (Praat also writes UTF-16 with a BOM).
"""

from __future__ import annotations

import re
from pathlib import Path

from tdmm_lm.errors import MotionFileError

# strings first, so brackets and digits inside a word are never read as tokens; "[3]" indexes
# and label words ("xmin =") match no alternative that is kept
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(\[[^\]]*\])|(<\w+>)|(?<![\w.])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])')
WORD_TIERS = ("words", "word", "transcript")   # tier names preferred for the transcript

Word = tuple[float, float, str]


def read_words(path: Path) -> list[Word]:
    """The non-empty intervals of the word tier (``words``, else the first interval tier)."""
    tiers = read_tiers(path)
    if not tiers:
        raise MotionFileError(path, "TextGrid has no interval tier")
    name = next((n for n in tiers if n.lower() in WORD_TIERS), next(iter(tiers)))
    return [w for w in tiers[name] if w[2].strip()]


def transcript(words: list[Word]) -> str:
    """The words joined by spaces, in time order."""
    return " ".join(w[2].strip() for w in sorted(words, key=lambda w: w[0]))


def read_tiers(path: Path) -> dict[str, list[Word]]:
    """Every interval tier as ``{name: [(xmin, xmax, text), ...]}`` (point tiers are skipped)."""
    tokens = _tokens(path)
    pos = 0

    def take(kind: type, what: str):
        nonlocal pos
        if pos >= len(tokens):
            raise MotionFileError(path, f"TextGrid ends early (expected {what})")
        value = tokens[pos]
        pos += 1
        if kind is float and isinstance(value, float):
            return value
        if kind is str and isinstance(value, str) and not value.startswith("<"):
            return value
        if kind is bool and value in ("<exists>", "<absent>"):
            return value == "<exists>"
        raise MotionFileError(path, f"TextGrid token {pos}: expected {what}, got {value!r}")

    if tokens[:2] != ["ooTextFile", "TextGrid"]:
        raise MotionFileError(path, "not a Praat TextGrid (header is not ooTextFile / TextGrid)")
    pos = 2
    take(float, "xmin"), take(float, "xmax")
    if not take(bool, "<exists>"):
        return {}
    tiers: dict[str, list[Word]] = {}
    for _ in range(_count(path, take(float, "tier count"))):
        kind, name = take(str, "tier class"), take(str, "tier name")
        take(float, "tier xmin"), take(float, "tier xmax")
        n = _count(path, take(float, f"size of tier {name!r}"))
        if kind == "IntervalTier":
            tiers[name] = [(take(float, "xmin"), take(float, "xmax"), take(str, "text"))
                           for _ in range(n)]
        elif kind == "TextTier":
            for _ in range(n):
                take(float, "time"), take(str, "mark")
        else:
            raise MotionFileError(path, f"TextGrid tier {name!r} has unknown class {kind!r}")
    return tiers


def _tokens(path: Path) -> list[float | str]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MotionFileError(path, f"cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else \
            raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MotionFileError(path, "TextGrid is neither UTF-8 nor UTF-16 text") from None
    out: list[float | str] = []
    for m in _TOKEN.finditer(text):
        string, _index, flag, number = m.groups()
        if string is not None:
            out.append(string.replace('""', '"'))
        elif flag is not None:
            out.append(flag)
        elif number is not None:
            out.append(float(number))
    return out


def _count(path: Path, value: float) -> int:
    if not value.is_integer() or value < 0:
        raise MotionFileError(path, f"TextGrid count {value:g} is not a whole number")
    return int(value)
