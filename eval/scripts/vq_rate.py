"""Tokens per second vs fidelity: trained tokenizers on the FaceScript test split and real takes.

    PYTHONPATH=$PWD python eval/scripts/vq_rate.py --runs runs/vq_fsq runs/vq_rvq \
        --dataset runs/facescript --rig RIG.npz --out eval/results/vq_rate

Per tokenizer: tokens per second, relative vertex error (face; 1.0 = always neutral) on the
FaceScript test split and on every shared real take (real_takes.py: 30 fps, S88 split at its
tracking-loss rows), mean channel R² over the blendshapes that move, the blink channels' R²,
codebook use, and (for vq_rate_grid.py point folders) the R-precision of a T2M-GPT trained on
the tokenizer's codes. The real takes are unseen unless ``--held-out`` names, per run, the one
take it left out (leave-one-take-out: the real column then scores that take only).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from real_takes import load_takes
from tdmm_lm.benchmark.detectors import detect_many, scripted_actions
from tdmm_lm.data.schema import load_dataset_dict, split_motions
from tdmm_lm.geometry import FaceGeometry
from tdmm_lm.motion.formats import ARKIT_BLENDSHAPES
from tdmm_lm.provenance import write_result
from tdmm_lm.vqvae import MotionTokenizer
from tdmm_lm.vqvae.evaluate import evaluate_motions

BLINKS = ("eyeBlinkLeft", "eyeBlinkRight")
# the eye-lid actions and the one-sided ones: what the tokenizers here lose first
DETAIL_ACTIONS = ("blink", "wink", "squint", "raise_one_brow", "smirk")


def channel_r2(tok, motions, decoded_motions) -> dict[str, float]:
    """R² per blendshape of ``decoded_motions`` (the tokens of ``motions``, decoded) against the
    input, over all frames pooled."""
    targets = [tok.prepare(m) for m in motions]
    y = np.concatenate(targets)
    yhat = np.concatenate([d.data[:len(t)] for d, t in zip(decoded_motions, targets)])
    out = {}
    for i, c in enumerate(tok.channels):
        sst = ((y[:, i] - y[:, i].mean()) ** 2).sum()
        if c in ARKIT_BLENDSHAPES and sst > 1e-6 * len(y):
            out[c] = float(1 - ((y[:, i] - yhat[:, i]) ** 2).sum() / sst)
    return out


def actions_kept(motions, attributes) -> dict[str, float]:
    """Share of the scripted actions the rule-based detectors find in ``motions`` (``all``, and
    per action): on decoded clips, what survives the tokenizer for a token model to learn."""
    hits, totals = Counter(), Counter()
    for events, attrs in zip(detect_many(motions), attributes):
        found = {(e.action, e.side) for e in events}
        for pair in scripted_actions(attrs):
            for key in ("all", pair[0]):
                totals[key] += 1
                hits[key] += pair in found
    return {k: hits[k] / totals[k] for k in totals}


def fmt_kept(kept: dict[str, float]) -> str:
    return f"{kept['all']:.2f} (" + "/".join(f"{kept.get(a, float('nan')):.2f}" for a in DETAIL_ACTIONS) + ")"


def decoded(tok, motions):
    return tok.decode_batch(tok.encode_batch(motions))


def measure(tok, motions, geometry, attributes=None) -> dict:
    """Reconstruction measures of ``motions``; with their FaceScript ``attributes``, also the
    actions kept (one decode serves both)."""
    m = evaluate_motions(tok, motions, geometry, timing=False, regions=["face"])
    dec = decoded(tok, motions)
    r2 = channel_r2(tok, motions, dec)
    out = {"relative": m["vertex"]["face"]["relative"], "mean_mm": m["vertex"]["face"]["mean_mm"],
           "r2_mean": float(np.mean(list(r2.values()))),
           "r2_blinks": [r2.get(c, float("nan")) for c in BLINKS],
           "usage": [c["usage"] for c in m["codebook"]], "frames": m["frames"]}
    if attributes is not None:
        out["actions_kept"] = actions_kept(dec, attributes)
    return out


def t2m_r_precision(run: Path) -> str:
    """T2M-GPT's benchmark R-precision top-3 on this tokenizer's codes (vq_rate_grid.py), or ''."""
    path = run / "benchmark" / "results.json"
    if not path.is_file():
        return ""
    gens = json.loads(path.read_text())["results"]["generators"]
    top3 = {name: g["top3"] for name, g in gens.items()}
    t, r = top3["t2m-gpt"], top3["random-train"]
    return f"{t['mean']:.3f} ± {t['ci95']:.3f} (random {r['mean']:.3f})"


def tokenizer_folder(run: Path) -> Path:
    """A grid point's ``vq/best``, else the folder itself (a tokenizer or a training run)."""
    return run / "vq" / "best" if (run / "vq" / "best").is_dir() else run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", required=True,
                    help="tokenizer folders, training runs or vq_rate_grid.py point folders")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--rig", required=True)
    ap.add_argument("--out", default="eval/results/vq_rate")
    ap.add_argument("--title", default="Token rate vs fidelity (tiny tokenizer)")
    ap.add_argument("--held-out", nargs="+", default=None, metavar="TAKE",
                    help="one take name per run (leave-one-take-out): the real column scores only "
                         "the take each run did not train on")
    ap.add_argument("--train-command", default="", help="how the runs were made (for the record)")
    ap.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    args = ap.parse_args()
    if args.held_out and len(args.held_out) != len(args.runs):
        ap.error("--held-out needs one take name per run")
    test_split = load_dataset_dict(args.dataset)["test"]
    test, attributes = split_motions(test_split), test_split["attributes"]
    reference = actions_kept(test, attributes)
    takes = load_takes(report=lambda _: None)
    results = {}
    real_note = ("each run's real number is over the one take it did not train on (its pieces)"
                 if args.held_out else "no tokenizer saw them in training")
    lines = [f"# {args.title}", "",
             "Relative = face vertex error / displacement from neutral (always-neutral = 1.0). "
             "Real takes: the shared Live Link Face takes at 30 fps (S88 split at its tracking-loss "
             f"rows, runs under 2 s left out); {real_note}. T2M-GPT: R-precision top-3 of a "
             "fixed-budget T2M-GPT trained on the tokenizer's codes (vq_rate_grid.py).", "",
             "Actions kept: share of the test clips' scripted actions the rule-based detectors "
             f"still find after encoding and decoding (all; {'/'.join(DETAIL_ACTIONS)}); on the clips "
             f"themselves {fmt_kept(reference)}.", "",
             "| run | quantiser | tokens/s | vocab | FaceScript test: relative | channel R² | blink R² L/R "
             f"| actions kept: all ({'/'.join(DETAIL_ACTIONS)}) | usage | T2M-GPT R-prec top-3 | "
             "real: relative (pooled) | " + " | ".join(n for n, _ in takes) + " |",
             "| --- " * (11 + len(takes)) + "|"]
    for k, run in enumerate(args.runs):
        tok = MotionTokenizer.from_pretrained(str(tokenizer_folder(Path(run))))
        geometry = FaceGeometry.for_format(tok.format, tok.channels, rig=args.rig)
        mc = tok.vq_config.model
        quant = f"FSQ {mc.fsq_levels}" if mc.quantizer == "fsq" else f"VQ {mc.levels}×{mc.codebook_size}"
        scored = [(n, m) for n, m in takes
                  if not args.held_out or n.split("#")[0] == args.held_out[k]]
        if not scored:
            ap.error(f"--held-out {args.held_out[k]}: no such take")
        on_test = measure(tok, test, geometry, attributes)
        res = {"tokens_per_second": tok.tokens_per_second, "vocab": tok.vocab_size, "quantizer": quant,
               "test": on_test,
               "real_all": measure(tok, [m for _, m in scored], geometry),
               "real": {n: measure(tok, [m], geometry)["relative"] for n, m in scored},
               "t2m_gpt": t2m_r_precision(Path(run)),
               "actions_kept": on_test.pop("actions_kept")}   # where the results files keep it
        results[run] = res
        t = res["test"]
        lines.append(f"| `{run}` | {quant} | {tok.tokens_per_second:g} | {tok.vocab_size} | "
                     f"{t['relative']:.3f} | {t['r2_mean']:.3f} | "
                     + "/".join(f"{v:.3f}" for v in t["r2_blinks"]) + " | "
                     + fmt_kept(res["actions_kept"]) + " | "
                     + "/".join(f"{u:.0%}" for u in t["usage"]) + f" | {res['t2m_gpt']} | "
                     f"{res['real_all']['relative']:.3f} | "
                     + " | ".join(f"{res['real'][n]:.3f}" if n in res["real"] else "(trained)"
                                  for n, _ in takes) + " |")
    if args.note:
        lines += ["", "Notes:", *[f"- {n}" for n in args.note]]
    held = f" --held-out {' '.join(args.held_out)}" if args.held_out else ""
    lines += ["", f"Trained with: `{args.train_command}`" if args.train_command else "",
              f"Evaluated with: `PYTHONPATH=$PWD python eval/scripts/vq_rate.py --runs {' '.join(args.runs)} "
              f"--dataset {args.dataset} --rig {args.rig} --out {args.out}{held}`"]
    write_result(args.out, {"reference_actions_kept": reference, "runs": results}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
