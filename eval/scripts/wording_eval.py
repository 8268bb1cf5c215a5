"""Unseen wording: L2M on everyday prompts and M2L on hand-made motions, for any model folder.

    python eval/scripts/wording_eval.py --dataset runs/facescript \
        --model runs/lm_tiny --model runs/mdm_tiny --samples 3 --out eval/results/wording

Every ``--model`` is read with ``load_generator`` (a run folder, its ``best/`` or a Hub id) and
scored on ``eval/wording/prompts.yaml`` (share of prompts whose motion satisfies its rule, by
the benchmark's detectors); a model that also describes (TDMM-LM) is scored on
``eval/wording/questions.yaml`` (share of hand-made motions whose description names the right
action; ``only``: and nothing else). Reference rows: ``random-train`` (random FaceScript
training clips: the chance rate of each rule), ``rule-based`` (the detectors' describer) and
``random-text`` (a random FaceScript training description: chance for M2L).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from tdmm_lm.benchmark.wording import (load_prompts, load_questions, score_describer,
                                       score_generator)
from tdmm_lm.generators import BuildContext, build_describer, build_generator, load_generator
from tdmm_lm.provenance import write_result


class RandomText:
    """A random training description per motion (M2L chance)."""

    name = "random-text"

    def __init__(self, dataset: str) -> None:
        from tdmm_lm.data.schema import load_dataset_dict
        self.texts = [t for ts in load_dataset_dict(dataset)["train"]["texts"] for t in ts]

    def describe(self, motions, *, seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        return [self.texts[int(i)] for i in rng.integers(len(self.texts), size=len(motions))]


def interval(p: float, n: int) -> float:
    """Half-width of a 95% normal interval of a rate over ``n`` trials."""
    return 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", default=[], help="a generator folder (repeatable)")
    p.add_argument("--dataset", help="FaceScript DatasetDict for the chance rows (random-train)")
    p.add_argument("--prompts", default="eval/wording/prompts.yaml")
    p.add_argument("--questions", default="eval/wording/questions.yaml")
    p.add_argument("--samples", type=int, default=3, help="motions per prompt (seeds)")
    p.add_argument("--chance-samples", type=int, default=20, help="random clips per prompt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="eval/results/wording")
    args = p.parse_args()

    prompts, questions = load_prompts(args.prompts), load_questions(args.questions)
    context = BuildContext(dataset=args.dataset)
    l2m, m2l, seconds = {}, {}, {}
    if args.dataset:
        t = time.perf_counter()
        l2m["random-train (chance)"] = score_generator(build_generator("random-train", None, context),
                                                       prompts, seed=args.seed,
                                                       samples=args.chance_samples)
        m2l["random-text (chance)"] = score_describer(RandomText(args.dataset), questions, seed=args.seed)
        seconds["references"] = time.perf_counter() - t
    m2l["rule-based"] = score_describer(build_describer("rule-based"), questions, seed=args.seed)
    for folder in args.model:
        t = time.perf_counter()
        model = load_generator(folder, context)
        label = f"{model.name} ({folder})"
        l2m[label] = score_generator(model, prompts, seed=args.seed, samples=args.samples)
        if hasattr(model, "describe"):
            m2l[label] = score_describer(model, questions, seed=args.seed)
        seconds[label] = time.perf_counter() - t
        print(label, f"L2M {l2m[label]['satisfied']:.3f}", flush=True)

    chance = l2m.get("random-train (chance)", {}).get("satisfied")
    lines = ["# Unseen wording: everyday prompts and hand-made motions\n",
             f"{len(prompts)} prompts (`{args.prompts}`) and {len(questions)} hand-made motions "
             f"(`{args.questions}`), phrased unlike FaceScript's templates and never trained on "
             "(scoring: `tdmm_lm/benchmark/wording.py`).\n",
             "## L2M: share of generated motions that satisfy the prompt's rule (detectors)\n",
             "| generator | satisfied | ± 95% | − chance | with any action | motions |",
             "| --- | --- | --- | --- | --- | --- |"]
    for label, r in l2m.items():
        gap = "" if chance is None else f"{r['satisfied'] - chance:+.3f}"
        lines.append(f"| {label} | {r['satisfied']:.3f} | {interval(r['satisfied'], r['n']):.3f} "
                     f"| {gap} | {r['any_action']:.2f} | {r['n']} |")
    labels = list(l2m)
    lines += ["\n### Per prompt (share of samples satisfied)\n",
              "| prompt | rule | " + " | ".join(labels) + " |", "| --- | --- |" + " --- |" * len(labels)]
    for i, prompt in enumerate(prompts):
        cells = []
        for label in labels:
            oks = [row["ok"] for row in l2m[label]["rows"] if row["text"] == prompt.text]
            cells.append(f"{np.mean(oks):.2f}")
        lines.append(f"| {prompt.text} | {l2m[labels[0]]['rows'][i]['rule'].replace('|', ' / ')} | " + " | ".join(cells) + " |")
    lines += ["\n## M2L: hand-made motions described with the right action\n",
              "| describer | names it | names only it | motions |", "| --- | --- | --- | --- |"]
    for label, r in m2l.items():
        lines.append(f"| {label} | {r['named']:.3f} | {r['only']:.3f} | {r['n']} |")
    for label, r in m2l.items():
        if not label.startswith("random"):
            lines.append(f"\n{label} descriptions: " + "; ".join(
                f"{row['name']} → \"{row['description']}\"" for row in r["rows"]))
    lines.append("\nSeconds per row: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()))
    write_result(args.out, {"l2m": l2m, "m2l": m2l, "seconds": seconds}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
