"""A quick M2L check of one TDMM-LM run: describe the first N test clips (greedy), read the
descriptions with FaceScript's parser, and print Cor_E / Cor_M / Cor_I and action precision
(the benchmark's ``attribute_correctness``) with a few examples.

    python eval/scripts/m2l_check.py --dataset runs/quickstart/data/facescript --model runs/lm 96

Used for the design ablations of eval/results/lm_design.md (their commands are listed there);
the benchmark (`tdmm-lm eval run`) reports the same Cor_E / Cor_M on its own clips.
"""

from __future__ import annotations

import argparse

import torch


def main() -> None:
    from tdmm_lm.benchmark.text_metrics import attribute_correctness
    from tdmm_lm.data.schema import load_dataset_dict, row_motion
    from tdmm_lm.lm.tdmmlm import TDMMLM

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="FaceScript DatasetDict (motions, attributes)")
    p.add_argument("--model", required=True, help="TDMM-LM run or model folder")
    p.add_argument("n", type=int, nargs="?", default=96, help="test clips (the first N)")
    args = p.parse_args()
    torch.set_num_threads(1)
    test = load_dataset_dict(args.dataset)["test"].select(range(args.n))
    lm = TDMMLM.from_pretrained(args.model)
    said = lm.describe([row_motion(r) for r in test], seed=0)
    scores = attribute_correctness(said, test["attributes"])
    print(args.model, {k: None if v is None else round(v, 3) for k, v in scores.items()})
    for out, ref in list(zip(said, test["text"]))[:4]:
        print(f"  ref: {ref}\n  out: {out}")


if __name__ == "__main__":
    main()
