"""What the LM names against what its tokenizer keeps, per scripted action, for quickstart runs.

    PYTHONPATH=$PWD python eval/scripts/m2l_by_action.py --run runs/quickstart --out eval/results/m2l_by_action

Per FaceScript action on the quickstart's benchmark clips: how many clips script it, the share
whose motion still shows it to the rule-based detectors after the run's tokenizer encodes and
decodes it (vq_rate.py's "actions kept"), and the share whose TDMM-LM description names it (the
benchmark's cached M2L descriptions, replication 0, read by FaceScript's parser). An action the
tokenizer does not keep is one no token model can read or write.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from vq_rate import actions_kept, decoded

from tdmm_lm.data.facescript.parse import parse_description
from tdmm_lm.data.schema import load_dataset_dict, split_motions
from tdmm_lm.provenance import write_result
from tdmm_lm.vqvae import MotionTokenizer

DESCRIPTIONS = "benchmark/cache/facescript/describers/tdmm-lm (M2L)/0.descriptions.json"


def lm_names(texts: list[str], attributes: list[str]) -> tuple[dict[str, float], Counter]:
    """Per scripted action, the share of its clips whose description names it (any side), and
    how many clips script it."""
    hits, totals = Counter(), Counter()
    for text, attrs in zip(texts, attributes):
        named = {action for action, _ in parse_description(text).actions}
        for seg in json.loads(attrs)["segments"]:
            totals[seg["action"]] += 1
            hits[seg["action"]] += seg["action"] in named
    return {a: hits[a] / totals[a] for a in totals}, totals


def measure(run: Path) -> dict:
    texts = json.loads((run / DESCRIPTIONS).read_text())["values"]["texts"]
    test = load_dataset_dict(str(run / "data" / "facescript"))["test"].select(range(len(texts)))
    attributes = test["attributes"]
    tok = MotionTokenizer.from_pretrained(str(run / "vq"))
    named, clips = lm_names(texts, attributes)
    return {"kept": actions_kept(decoded(tok, split_motions(test)), attributes),
            "named": named, "clips": dict(clips)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="append", required=True, help="a quickstart folder (repeatable)")
    ap.add_argument("--out", default="eval/results/m2l_by_action")
    ap.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = ap.parse_args()
    results = {run: measure(Path(run)) for run in args.run}
    clips = next(iter(results.values()))["clips"]
    order = sorted(clips, key=lambda a: next(iter(results.values()))["named"][a])
    lines = ["# M2L per action: what the LM names vs what its tokenizer keeps", "",
             "Per scripted action on the quickstart benchmark's test clips: **kept** = share whose "
             "motion the rule-based detectors still read after the run's tokenizer (encode + "
             "decode), **named** = share whose TDMM-LM description names it. Runs: "
             + ", ".join(f"`{r}`" for r in args.run) + ".", "",
             "| action | clips | " + " | ".join(f"kept / named ({i + 1})" for i in range(len(args.run)))
             + " |", "| --- | --- |" + " --- |" * len(args.run)]
    for action in order:
        cells = [f"{r['kept'].get(action, float('nan')):.2f} / {r['named'][action]:.2f}"
                 for r in results.values()]
        lines.append(f"| {action} | {clips[action]} | " + " | ".join(cells) + " |")
    if args.note:
        lines += ["", "Notes:", *[f"- {n}" for n in args.note]]
    lines += ["", f"Command: `PYTHONPATH=$PWD python eval/scripts/m2l_by_action.py "
              + " ".join(f"--run {r}" for r in args.run) + f" --out {args.out}`"]
    write_result(args.out, results, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
