"""More words for FaceScript's actions, for the prompts that text-to-motion models train on.

FaceScript describes each action with the four phrases in ``primitives.py``, so a model trained
on its descriptions learns those words and little else ("chuckle" or "look furious" land nowhere;
eval/results/wording.md). ``lexicon.json`` adds phrases for the same actions, taken from WordNet
3.0 by ``data_recipes/wordnet_lexicon.py`` (which senses, and why a few lemmas were left out, are
in that recipe; the WordNet licence notice is in the file).

    extra = reworded_rows(split["attributes"], n=2)   # per row: 2 more descriptions, wider words

Only the L2M trainers use them, as extra prompts of a training clip (``data.reworded`` in the LM
and baseline configs): the descriptions the LM learns to write, and every benchmark text, keep
FaceScript's own words, which ``parse.py`` reads back.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping, Sequence

import numpy as np

from tdmm_lm.data.facescript.attributes import segment_spec
from tdmm_lm.data.facescript.plan import SegmentSpec
from tdmm_lm.data.facescript.primitives import PRIMITIVES
from tdmm_lm.data.facescript.text import describe

_TRIES = 8   # draws per wanted description (a one-action clip has few distinct wordings)


@lru_cache(maxsize=1)
def wide_phrases() -> Mapping[str, tuple[str, ...]]:
    """Every action's verb phrases: its own, then the lexicon's."""
    extra = json.loads(resources.files(__package__).joinpath("lexicon.json").read_text())["phrases"]
    return {name: tuple(p.phrases) + tuple(extra.get(name, ())) for name, p in PRIMITIVES.items()}


def specs_of(attributes: Mapping[str, Any] | str) -> list[SegmentSpec] | None:
    """The script of a FaceScript clip's attributes; None for a clip that has none (a real take,
    another dataset) or names an action FaceScript does not know."""
    attrs = json.loads(attributes) if isinstance(attributes, str) else attributes
    segments = (attrs or {}).get("segments") or []
    if not segments or any(s.get("action") not in PRIMITIVES for s in segments):
        return None
    return [segment_spec(s) for s in segments]


def reworded(attributes: Mapping[str, Any] | str, n: int, rng: np.random.Generator) -> list[str]:
    """Up to ``n`` distinct descriptions of the clip drawn with the wider phrases (fewer when the
    script allows fewer; none for a clip without a FaceScript script)."""
    specs = specs_of(attributes)
    if specs is None or n <= 0:
        return []
    out: list[str] = []
    for _ in range(_TRIES * n):
        text = describe(specs, rng, wide_phrases())
        if text not in out:
            out.append(text)
            if len(out) == n:
                break
    return out


def reworded_rows(attributes: Sequence[Mapping[str, Any] | str], n: int, seed: int = 0
                  ) -> list[list[str]]:
    """``reworded`` for every row, from one seeded generator: the same rows give the same
    prompts in every process and run (so word features cached once stay valid)."""
    rng = np.random.default_rng(seed)
    return [reworded(a, n, rng) for a in attributes]
