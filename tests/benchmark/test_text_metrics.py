"""Description metrics: BLEU-1 and ROUGE-L against straightforward implementations, CIDEr and
BERTScore by their defining properties, attribute correctness on known answers."""

import json
import math
from collections import Counter

import numpy as np
import pytest

from tdmm_lm.benchmark import text_metrics as T

# words the Porter stemmer leaves alone, so ROUGE-L with stemming equals plain LCS on them
WORDS = "a person face eye left right brow head up down slow".split()


def _sentences(rng, n):
    return [" ".join(rng.choice(WORDS, size=rng.integers(3, 9))) for _ in range(n)]


def _bleu1(cands, refs):
    clipped = total = cand_len = ref_len = 0
    for c, rs in zip(cands, refs):
        words = c.split()
        counts = Counter(words)
        best = Counter()
        for r in rs:
            for w, k in Counter(r.split()).items():
                best[w] = max(best[w], k)
        clipped += sum(min(k, best[w]) for w, k in counts.items())
        total += len(words)
        cand_len += len(words)
        # sacrebleu: the reference length closest to the candidate's (shorter on ties)
        ref_len += min((abs(len(r.split()) - len(words)), len(r.split())) for r in rs)[1]
    bp = 1.0 if cand_len > ref_len else math.exp(1 - ref_len / cand_len)
    return 100 * bp * clipped / total


def _lcs(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def _rouge_l(cand, refs):
    best = 0.0
    for r in refs:
        c, r = cand.split(), r.split()
        lcs = _lcs(c, r)
        if lcs:
            p, rec = lcs / len(c), lcs / len(r)
            best = max(best, 2 * p * rec / (p + rec))
    return best


def test_bleu1_and_rouge_l_match_straightforward_implementations():
    rng = np.random.default_rng(5)
    cands = _sentences(rng, 12)
    refs = [_sentences(rng, int(rng.integers(1, 4))) for _ in range(12)]
    got = T.caption_scores(cands, refs)
    assert abs(got["bleu_1"] - _bleu1(cands, refs)) < 1e-6
    want = np.mean([_rouge_l(c, r) for c, r in zip(cands, refs)])
    assert abs(got["rouge_l"] - want) < 1e-6


def test_perfect_descriptions_score_highest():
    refs = [["A person smiles broadly.", "Someone grins widely."],
            ["The actor nods twice.", "A person nods their head two times."],
            ["A person looks to the left."]]
    perfect = T.caption_scores([r[0] for r in refs], refs)
    assert perfect["bleu_4"] == pytest.approx(100.0) and perfect["rouge_l"] == pytest.approx(1.0)
    swapped = T.caption_scores([refs[1][0], refs[2][0], refs[0][0]], refs)
    assert swapped["cider"] < perfect["cider"] and swapped["bleu_4"] < perfect["bleu_4"]


def test_bertscore_with_packaged_minilm():
    refs = [["A person smiles broadly."], ["The actor nods twice."]]
    same = T.bertscore(["A person smiles broadly.", "The actor nods twice."], refs)
    other = T.bertscore(["The actor nods twice.", "A person smiles broadly."], refs)
    assert same == pytest.approx(1.0, abs=1e-4) and other < same - 0.05
    # an empty description scores 0 (bert-score cannot encode one)
    half = T.bertscore(["", "The actor nods twice."], refs)
    assert half == pytest.approx(0.5, abs=1e-4) and T.bertscore([""], refs[:1]) == 0.0


def test_attribute_correctness():
    attrs = json.dumps({"segments": [{"action": "smile_broad", "side": None, "intensity": "strong"},
                                     {"action": "nod", "side": None, "intensity": "slight"}],
                        "emotion": "happy", "head_motion": {"type": "nod", "side": None},
                        "intensity": "strong"})
    right = T.attribute_correctness(["A person smiles broadly, then slightly nods twice."], [attrs])
    assert right["cor_e"] == 1.0 and right["cor_m"] == 1.0 and right["cor_i"] == 1.0
    wrong = T.attribute_correctness(["A person frowns, then strongly nods."], [attrs])
    assert wrong["cor_e"] == 0.0 and wrong["cor_m"] == 0.75 and wrong["cor_i"] == 0.0
