"""How much of a clip's emotion and first action its motion codes carry, read as a bag of codes:
a linear (softmax) probe on code histograms, trained on the train split, scored on test.

    python eval/scripts/code_probe.py --dataset runs/quickstart/data/facescript_codes \
        --out eval/results/code_probe

Rows: all residual levels, only the coarse level 0, only level 1. The probe sees no order, so it
is a floor for what a reader of the codes can get; the majority class is the chance row. Used by
eval/results/lm_design.md to choose what an M2L prompt shows (``data.m2l_levels``).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from tdmm_lm.provenance import write_result


def histograms(split, levels: int, keep: list[int]) -> np.ndarray:
    """Code histograms (normalised) of the codes on the ``keep`` residual levels."""
    size = max(max(c) for c in split["codes"]) + 1
    out = np.zeros((len(split), size), dtype=np.float32)
    for i, codes in enumerate(split["codes"]):
        picked = [c for j, c in enumerate(codes) if j % levels in keep]
        np.add.at(out[i], picked, 1.0 / max(len(picked), 1))
    return out


def probe(x_train, y_train, x_test, y_test, weight_decay: float = 1e-4) -> float:
    """Test accuracy of a softmax regression fitted with L-BFGS."""
    classes = sorted(set(y_train) | set(y_test))
    index = {c: i for i, c in enumerate(classes)}
    xt, xs = torch.tensor(x_train), torch.tensor(x_test)
    yt = torch.tensor([index[y] for y in y_train])
    ys = torch.tensor([index[y] for y in y_test])
    mean, std = xt.mean(0), xt.std(0) + 1e-6
    xt, xs = (xt - mean) / std, (xs - mean) / std
    layer = torch.nn.Linear(xt.shape[1], len(classes))
    opt = torch.optim.LBFGS(layer.parameters(), max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(xt), yt) + weight_decay * layer.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((layer(xs).argmax(1) == ys).float().mean())


def main() -> None:
    from tdmm_lm.data.schema import load_dataset_dict
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="a tokenized DatasetDict (`codes` column)")
    p.add_argument("--levels", type=int, default=2, help="residual levels of its tokenizer")
    p.add_argument("--out", default="eval/results/code_probe")
    args = p.parse_args()
    torch.manual_seed(0)
    dd = load_dataset_dict(args.dataset)
    train, test = (dd[s].select_columns(["codes", "attributes"]) for s in ("train", "test"))

    def labels(split, what):
        attrs = [json.loads(a) for a in split["attributes"]]
        return [a["emotion"] if what == "emotion" else a["segments"][0]["action"] for a in attrs]

    rows = {}
    for name, keep in (("all levels", list(range(args.levels))), ("level 0", [0]), ("level 1", [1])):
        xt, xs = histograms(train, args.levels, keep), histograms(test, args.levels, keep)
        rows[name] = {what: probe(xt, labels(train, what), xs, labels(test, what))
                      for what in ("emotion", "first action")}
    rows["majority class (chance)"] = {
        what: max(labels(test, what).count(c) for c in set(labels(test, what))) / len(test)
        for what in ("emotion", "first action")}
    lines = ["# What the motion codes carry: a linear probe on code histograms\n",
             f"Dataset `{args.dataset}` ({len(train)} train / {len(test)} test clips). Softmax "
             "regression on normalised code histograms (no order), test accuracy.\n",
             "| codes read | emotion | first action |", "| --- | --- | --- |"]
    lines += [f"| {k} | {v['emotion']:.3f} | {v['first action']:.3f} |" for k, v in rows.items()]
    write_result(args.out, rows, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
