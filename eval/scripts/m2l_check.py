"""A quick M2L check of one TDMM-LM run: describe the first N test clips (greedy), read the
descriptions with FaceScript's parser, and print Cor_E / Cor_M / Cor_I and action precision
(the benchmark's ``attribute_correctness``) with a few examples.

    python eval/scripts/m2l_check.py --dataset runs/quickstart/data/facescript --model runs/lm 96
    python eval/scripts/m2l_check.py --dataset D --model A --model B 64 --out eval/results/NAME

Several ``--model`` are scored one after the other on the same clips; ``--out`` also writes
their table to ``NAME.{md,json}``.

Used for the design ablations of eval/results/lm_design.md (their commands are listed there);
the benchmark (`tdmm-lm eval run`) reports the same Cor_E / Cor_M on its own clips.
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    from tdmm_lm.benchmark.text_metrics import attribute_correctness
    from tdmm_lm.data.schema import load_dataset_dict, row_motion
    from tdmm_lm.lm.tdmmlm import TDMMLM

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="FaceScript DatasetDict (motions, attributes)")
    p.add_argument("--model", required=True, action="append", help="TDMM-LM run or model folder")
    p.add_argument("n", type=int, nargs="?", default=96, help="test clips (the first N)")
    p.add_argument("--out", help="also write the table to OUT.{md,json}")
    args = p.parse_args()
    torch.set_num_threads(1)
    test = load_dataset_dict(args.dataset)["test"].select(range(args.n))
    motions = [row_motion(r) for r in test]
    rows = []
    for model in args.model:
        lm = TDMMLM.from_pretrained(model)
        start = time.perf_counter()
        said = lm.describe(motions, seed=0)
        seconds = time.perf_counter() - start
        scores = {k: None if v is None else round(v, 3)
                  for k, v in attribute_correctness(said, test["attributes"]).items()}
        examples = [{"ref": r, "out": o} for o, r in list(zip(said, test["text"]))[:4]]
        print(model, scores)
        for e in examples:
            print(f"  ref: {e['ref']}\n  out: {e['out']}")
        rows.append({"model": model, **scores, "describe_seconds": round(seconds, 1),
                     "examples": examples})
    if args.out:
        from tdmm_lm.provenance import write_result

        lines = [f"# M2L check: the first {args.n} test clips of `{args.dataset}`\n",
                 "| model | Cor_E | Cor_M | Cor_I | action precision | describe s |",
                 "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| `{r['model']}` | {r['cor_e']} | {r['cor_m']} | {r['cor_i']} | "
                  f"{r['action_precision']} | {r['describe_seconds']} |" for r in rows]
        write_result(args.out, {"dataset": args.dataset, "clips": args.n, "rows": rows},
                     "\n".join(lines))


if __name__ == "__main__":
    main()
