"""How far FaceScript is from captured faces, with the realism layer off and on.

    PYTHONPATH=$PWD python eval/scripts/realism_gap.py --clips 400 --out eval/results/realism_gap

Three numbers per FaceScript variant (same seed, so the same scripts, subjects and timing):
1. the per-channel 1-D Wasserstein distance between real and FaceScript frame values, and between
   their frame-to-frame velocities (30 fps), averaged over channels (all 61, and the 52
   blendshapes), pooling every frame of every real take (real_takes.py: S88's tracking-loss rows
   dropped and the take split at them);
2. a logistic-regression real-vs-synthetic classifier on clip statistics (per channel: mean,
   std, 5th and 95th percentile, velocity std) over 4-second windows, 5-fold cross-validated
   accuracy on balanced classes (0.5 = indistinguishable);
3. the benchmark detectors' agreement with the ground truth (micro precision/recall over all
   primitives, and the share of clips whose detected action set equals the script's), and the
   judge's primary-action match rate: the realism layer must not move these.
Also writes a side-by-side PNG of a real take's curves and FaceScript's.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy.stats import wasserstein_distance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from detectors_validate import score
from real_takes import load_takes
from tdmm_lm.data.facescript.judge import matches_primary_action
from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample, sample_to_motion
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, ARKIT_BLENDSHAPES
from tdmm_lm.provenance import write_result

WINDOW = 120          # 4 s at 30 fps: FaceScript clips are 2-6 s
_NB = len(ARKIT_BLENDSHAPES)
PLOT = ["eyeBlinkLeft", "jawOpen", "mouthSmileLeft", "browInnerUp", "leftEyeYaw"]
SHOWN = {"open_mouth", "smile_broad", "laugh", "raise_brows", "surprise"}   # clips to plot


def wasserstein(real: list[np.ndarray], synth: list[np.ndarray]) -> dict[str, float]:
    r, s = np.concatenate(real), np.concatenate(synth)
    rv = np.concatenate([np.diff(x, axis=0) for x in real])
    sv = np.concatenate([np.diff(x, axis=0) for x in synth])
    val = np.array([wasserstein_distance(r[:, c], s[:, c]) for c in range(r.shape[1])])
    vel = np.array([wasserstein_distance(rv[:, c], sv[:, c]) for c in range(r.shape[1])])
    return {"values_all": float(val.mean()), "values_blend": float(val[:_NB].mean()),
            "velocity_all": float(vel.mean()), "velocity_blend": float(vel[:_NB].mean()),
            "per_channel_values": dict(zip(ARKIT61_CHANNELS, val.round(5).tolist()))}


def clip_features(x: np.ndarray) -> np.ndarray:
    v = np.diff(x, axis=0)
    return np.concatenate([x.mean(0), x.std(0), np.percentile(x, 5, 0), np.percentile(x, 95, 0),
                           v.std(0)])


def classifier_accuracy(real: list[np.ndarray], synth: list[np.ndarray], seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    synth = [synth[i] for i in rng.choice(len(synth), size=len(real), replace=False)]
    x = np.array([clip_features(c) for c in real + synth])
    y = np.r_[np.ones(len(real)), np.zeros(len(synth))]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(model, x, y, cv=folds).mean())


def detector_agreement(motions, attributes) -> dict[str, float]:
    rows = score(motions, attributes).values()
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    judge = np.mean([matches_primary_action(m, a) for m, a in zip(motions, attributes)])
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1),
            "tp": tp, "fp": fp, "fn": fn, "judge_primary_match": float(judge)}


def windows(x: np.ndarray) -> list[np.ndarray]:
    return [x[i:i + WINDOW] for i in range(0, len(x) - WINDOW + 1, WINDOW)]


def plot(real: np.ndarray, real_name: str, clean: np.ndarray, rich: np.ndarray,
         bounds: np.ndarray, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    idx = [ARKIT61_CHANNELS.index(c) for c in PLOT]
    fig, axes = plt.subplots(len(PLOT), 3, figsize=(13, 9), sharex=True, sharey="row")
    for col, (x, title) in enumerate([(real, f"real: {real_name}"), (clean, "FaceScript (clean)"),
                                      (rich, "FaceScript + realism")]):
        t = np.arange(len(x)) / 30.0
        for row, c in enumerate(idx):
            axes[row, col].plot(t, x[:, c], lw=0.9)
            for b in (bounds[bounds < len(x)] / 30.0 if col else []):   # FaceScript clip ends
                axes[row, col].axvline(b, color="0.7", lw=0.6, ls="--")
            axes[row, 0].set_ylabel(PLOT[row], fontsize=8)
        axes[0, col].set_title(title, fontsize=9)
        axes[-1, col].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="eval/results/realism_gap")
    args = ap.parse_args()
    notes: list[str] = []
    takes = load_takes(report=notes.append)
    real = [m.data.astype(np.float64) for _, m in takes]
    real_windows = [w for x in real for w in windows(x)]
    results, series, bounds = {}, {}, {}
    for realism in (False, True):
        config = FaceScriptConfig(num_samples=args.clips, seed=args.seed, realism=realism)
        rows = [generate_sample(config, i) for i in range(args.clips)]
        motions = [sample_to_motion(r) for r in rows]
        synth = [m.data.astype(np.float64) for m in motions]
        name = "realism" if realism else "clean"
        results[name] = {"wasserstein": wasserstein(real, synth),
                         "classifier_accuracy": classifier_accuracy(real_windows, synth),
                         "detectors": detector_agreement(motions, [json.loads(r["attributes"])
                                                                   for r in rows])}
        # clips with the plotted channels' actions, back to back: as long as the real stretch
        shown = [x for x, r in zip(synth, rows) if SHOWN & set(r["attributes"].replace('"', " ").split())]
        series[name] = np.concatenate(shown)[:360]
        bounds[name] = np.cumsum([len(x) for x in shown])
    s07 = next(x for (n, _), x in zip(takes, real) if "S07" in n)
    png = args.out + ".png"
    plot(s07[600:960], "alexdjulin S07, 20-32 s", series["clean"], series["realism"],
         bounds["clean"], png)

    lines = ["# Real vs FaceScript: the gap, with the realism layer off and on", "",
             f"Real: {len(real)} tracked runs of the shared takes ({sum(map(len, real))} frames at "
             f"30 fps, {len(real_windows)} windows of {WINDOW} frames). FaceScript: {args.clips} "
             f"clips, seed {args.seed}, the same scripts both ways.", *[f"- {n}" for n in notes], "",
             "| measure | clean | realism |", "| --- | --- | --- |"]
    def row(label, get, fmt="{:.4f}"):
        lines.append(f"| {label} | " + " | ".join(fmt.format(get(results[k])) for k in ("clean", "realism")) + " |")
    row("Wasserstein, frame values (mean of 61 channels)", lambda r: r["wasserstein"]["values_all"])
    row("Wasserstein, frame values (52 blendshapes)", lambda r: r["wasserstein"]["values_blend"])
    row("Wasserstein, velocities (mean of 61 channels)", lambda r: r["wasserstein"]["velocity_all"])
    row("Wasserstein, velocities (52 blendshapes)", lambda r: r["wasserstein"]["velocity_blend"])
    row("real-vs-synthetic classifier, 5-fold accuracy", lambda r: r["classifier_accuracy"], "{:.3f}")
    row("detectors: micro precision", lambda r: r["detectors"]["precision"], "{:.3f}")
    row("detectors: micro recall", lambda r: r["detectors"]["recall"], "{:.3f}")
    row("detectors: TP / FP / FN", lambda r: r["detectors"], "{0[tp]} / {0[fp]} / {0[fn]}")
    row("judge: primary action matches", lambda r: r["detectors"]["judge_primary_match"], "{:.3f}")
    d = {k: results[k]["detectors"] for k in ("clean", "realism")}
    lines += ["", "Reading: the realism layer closes part of the gap (resting levels, noise level, "
              "gaze); what it does not model shows in the picture: real actions are peaky and "
              "vary while held, FaceScript's hold a plateau. "
              f"Detector recall moves by {d['realism']['recall'] - d['clean']['recall']:+.3f} and "
              f"the judge's primary-action match by "
              f"{d['realism']['judge_primary_match'] - d['clean']['judge_primary_match']:+.3f}: "
              "co-activation and gaze add motion along other actions' directions. So the layer "
              "ships off by default (`FaceScriptConfig.realism`, `tdmm-lm data synth --realism`): "
              "the benchmark's FaceScript numbers stay comparable; turn it on for tokenizer "
              "training data."]
    lines += ["", f"Curves: `{png}` (real take | FaceScript clean | FaceScript + realism; "
              "the FaceScript columns are the first clips with a mouth or brow action, back to back, "
              "dashed lines between clips).", "",
              f"Reproduce: `PYTHONPATH=$PWD python eval/scripts/realism_gap.py --clips {args.clips} "
              f"--seed {args.seed} --out {args.out}`"]
    write_result(args.out, results, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
