"""Tokens per second vs fidelity: trained tokenizers on the FaceScript test split and real takes.

    PYTHONPATH=$PWD python eval/scripts/vq_rate.py --runs runs/vq_fsq runs/vq_rvq \
        --dataset runs/facescript --rig RIG.npz --out eval/results/vq_rate

Per tokenizer: tokens per second, relative vertex error (face; 1.0 = always neutral) on the
FaceScript test split and on every shared real take (real_takes.py: 30 fps, S88 split at its
tracking-loss rows), mean channel R² over the blendshapes that move, the blink channels' R²,
and codebook use. The real takes were never in these tokenizers' training data.
"""

from __future__ import annotations

import argparse

import numpy as np

from real_takes import load_takes
from tdmm_lm.data.schema import load_dataset_dict, split_motions
from tdmm_lm.geometry import FaceGeometry
from tdmm_lm.motion.formats import ARKIT_BLENDSHAPES
from tdmm_lm.provenance import write_result
from tdmm_lm.vqvae import MotionTokenizer
from tdmm_lm.vqvae.evaluate import evaluate_motions

BLINKS = ("eyeBlinkLeft", "eyeBlinkRight")


def channel_r2(tok, motions) -> dict[str, float]:
    """R² per blendshape of the decoded tokens against the input, over all frames pooled."""
    targets = [tok.prepare(m) for m in motions]
    decoded = [d.data[:len(t)] for d, t in zip(tok.decode_batch(tok.encode_batch(motions)), targets)]
    y, yhat = np.concatenate(targets), np.concatenate(decoded)
    out = {}
    for i, c in enumerate(tok.channels):
        sst = ((y[:, i] - y[:, i].mean()) ** 2).sum()
        if c in ARKIT_BLENDSHAPES and sst > 1e-6 * len(y):
            out[c] = float(1 - ((y[:, i] - yhat[:, i]) ** 2).sum() / sst)
    return out


def measure(tok, motions, geometry) -> dict:
    m = evaluate_motions(tok, motions, geometry, timing=False, regions=["face"])
    r2 = channel_r2(tok, motions)
    return {"relative": m["vertex"]["face"]["relative"], "mean_mm": m["vertex"]["face"]["mean_mm"],
            "r2_mean": float(np.mean(list(r2.values()))),
            "r2_blinks": [r2.get(c, float("nan")) for c in BLINKS],
            "usage": [c["usage"] for c in m["codebook"]], "frames": m["frames"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--rig", required=True)
    ap.add_argument("--out", default="eval/results/vq_rate")
    ap.add_argument("--train-command", default="", help="how the runs were made (for the record)")
    ap.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = ap.parse_args()
    test = split_motions(load_dataset_dict(args.dataset)["test"])
    takes = load_takes(report=lambda _: None)
    results = {}
    lines = ["# Token rate vs fidelity (tiny tokenizer, FaceScript-trained)", "",
             "Relative = face vertex error / displacement from neutral (always-neutral = 1.0). "
             "Real takes: the shared Live Link Face takes at 30 fps (S88 split at its tracking-loss "
             "rows, runs under 2 s left out); no tokenizer saw them in training.", "",
             "| run | quantiser | tokens/s | vocab | FaceScript test: relative | channel R² | blink R² L/R "
             "| usage | real takes: relative (all) | " + " | ".join(n for n, _ in takes) + " |",
             "| --- " * (9 + len(takes)) + "|"]
    for run in args.runs:
        tok = MotionTokenizer.from_pretrained(run)
        geometry = FaceGeometry.for_format(tok.format, tok.channels, rig=args.rig)
        mc = tok.vq_config.model
        quant = f"FSQ {mc.fsq_levels}" if mc.quantizer == "fsq" else f"VQ {mc.levels}×{mc.codebook_size}"
        res = {"tokens_per_second": tok.tokens_per_second, "vocab": tok.vocab_size, "quantizer": quant,
               "test": measure(tok, test, geometry),
               "real_all": measure(tok, [m for _, m in takes], geometry),
               "real": {n: measure(tok, [m], geometry)["relative"] for n, m in takes}}
        results[run] = res
        t = res["test"]
        lines.append(f"| `{run}` | {quant} | {tok.tokens_per_second:g} | {tok.vocab_size} | "
                     f"{t['relative']:.3f} | {t['r2_mean']:.3f} | "
                     + "/".join(f"{v:.3f}" for v in t["r2_blinks"]) + " | "
                     + "/".join(f"{u:.0%}" for u in t["usage"]) + f" | {res['real_all']['relative']:.3f} | "
                     + " | ".join(f"{res['real'][n]:.3f}" for n, _ in takes) + " |")
    if args.note:
        lines += ["", "Notes:", *[f"- {n}" for n in args.note]]
    lines += ["", f"Trained with: `{args.train_command}`" if args.train_command else "",
              f"Evaluated with: `PYTHONPATH=$PWD python eval/scripts/vq_rate.py --runs {' '.join(args.runs)} "
              f"--dataset {args.dataset} --rig {args.rig} --out {args.out}`"]
    write_result(args.out, results, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
