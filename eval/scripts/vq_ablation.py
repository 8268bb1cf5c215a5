"""Ablation of the motion tokenizer: downsampling, geometry loss, residual VQ, loss weights.

    python eval/scripts/vq_ablation.py --dataset DATA --rig RIG.npz --runs runs/vq_ablation --steps 800
    # writes eval/results/vq_ablation.{md,json} (--name for another stem, --only for some variants)

Every variant is configs/vqvae/tiny.yaml with one override, trained for the same (short) number of
steps one after another (never in parallel: the CPU is shared), then scored on the same test
split. A finished variant is not retrained (rerunning resumes/skips via its last/ checkpoint).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tdmm_lm.provenance import write_result  # noqa: E402
from tdmm_lm.vqvae.config import VQConfig  # noqa: E402
from tdmm_lm.vqvae.evaluate import evaluate_dataset  # noqa: E402
from tdmm_lm.vqvae.tokenizer import MotionTokenizer  # noqa: E402
from tdmm_lm.vqvae.train import train  # noqa: E402

BASE = ROOT / "configs" / "vqvae" / "tiny.yaml"
# name: (what changes, overrides as {section: {field: value}})
VARIANTS = {
    "base": ("tiny.yaml: downsample 4, MSE parameters + vertex L1 at 0.1, residual VQ 2 levels", {}),
    "downsample1": ("downsample 1 (one token step per frame, as in the paper)",
                    {"model": {"downsample": 1}}),
    "no_geometry": ("vertex loss off (parameters + velocity only)", {"loss": {"vertex": 0.0}}),
    "single_vq": ("single VQ (1 level)", {"model": {"levels": 1}}),
    "smooth_l1_vertex1": ("the first default: smooth-L1 parameters, vertex L1 at weight 1.0",
                          {"loss": {"param_loss": "smooth_l1", "vertex": 1.0}}),
    "vertex1": ("vertex L1 at weight 1.0 (MSE parameters)", {"loss": {"vertex": 1.0}}),
}


def channel_scores(tokenizer, dataset: str, split: str, limit: int = 200) -> dict[str, float]:
    """Per-channel R² of the reconstruction (1 = exact, 0 = no better than the channel's mean)
    on the first ``limit`` clips and, for FaceScript data, the share of clips whose primary
    action the judge still finds after the round trip (and in the reference itself)."""
    import numpy as np
    from tdmm_lm.data.facescript.judge import matches_primary_action
    from tdmm_lm.data.schema import load_dataset_dict
    from tdmm_lm.data.schema import split_motions

    rows = load_dataset_dict(dataset)[split]
    motions = split_motions(rows, limit)
    recon = tokenizer.decode_batch(tokenizer.encode_batch(motions))
    n = [min(a.num_frames, b.num_frames) for a, b in zip(motions, recon)]
    ref = np.concatenate([m.data[:k] for m, k in zip(motions, n)])
    out = np.concatenate([m.data[:k] for m, k in zip(recon, n)])
    r2 = 1 - ((out - ref) ** 2).mean(0) / np.maximum(ref.var(0), 1e-12)
    scores = {"channel_r2_mean": float(r2.mean()), "channel_r2_median": float(np.median(r2)),
              "channel_r2": dict(zip(motions[0].channels, map(float, r2)))}
    if "attributes" in rows.column_names:
        attrs = rows.select(range(len(motions)))["attributes"]
        scores["primary_action_kept"] = float(np.mean(
            [matches_primary_action(m, a) for m, a in zip(recon, attrs)]))
        scores["primary_action_reference"] = float(np.mean(
            [matches_primary_action(m, a) for m, a in zip(motions, attrs)]))
    return scores


def variant_config(name: str, args) -> VQConfig:
    raw = VQConfig.from_yaml(BASE).to_dict()
    for section, fields in copy.deepcopy(VARIANTS[name][1]).items():
        raw[section].update(fields)
    raw["data"].update(dataset=args.dataset)
    raw["train"].update(out=str(Path(args.runs) / name), steps=args.steps,
                        eval_every=args.steps, checkpoint_every=args.steps)
    return VQConfig.from_dict(raw, where=f"variant {name}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True)
    p.add_argument("--rig")
    p.add_argument("--runs", default="runs/vq_ablation")
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--split", default="test")
    p.add_argument("--only", nargs="*", choices=sorted(VARIANTS), help="variants (default all)")
    p.add_argument("--name", default="vq_ablation", help="result stem in eval/results/")
    args = p.parse_args()

    results = {}
    for name in args.only or VARIANTS:
        cfg = variant_config(name, args)
        best = train(cfg, rig=args.rig, progress=False)
        import json
        state = json.loads((Path(cfg.train.out) / "last" / "trainer_state.json").read_text())
        tokenizer = MotionTokenizer.from_pretrained(best)
        metrics = evaluate_dataset(tokenizer, args.dataset, args.split, rig=args.rig)
        metrics["channels"] = channel_scores(tokenizer, args.dataset, args.split)
        results[name] = {"change": VARIANTS[name][0], "overrides": VARIANTS[name][1],
                         "steps": args.steps, "training": state, "test": metrics}
        print(name, metrics["vertex"]["face"]["relative"], flush=True)

    lines = ["# Motion tokenizer ablation\n",
             f"Each row: `configs/vqvae/tiny.yaml` with one change, trained {args.steps} steps "
             f"(batch 32 × 64 frames; shorter than the main tiny run) on FaceScript, best "
             f"validation checkpoint, scored on the same subject-disjoint `{args.split}` split with "
             "the ICT rig. Relative = mean vertex error / mean displacement from neutral "
             "(always-neutral = 1.0); frame-max = worst vertex per frame, averaged over frames. "
             "Channel R² = 1 − MSE / variance per ARKit channel, mean over the 61 (0 = no better "
             "than the channel's mean), first 200 clips; primary action kept = share of those "
             "clips whose prompt's primary action the FaceScript judge still finds among the two "
             "strongest after the round trip (the reference motions themselves: "
             + "{ref}).\n",
             f"Command: `python {' '.join(sys.argv)}`\n",
             "| variant | change | relative | mean mm | frame-max mm | lips frame-max mm | lips mean mm | "
             "eyes frame-max mm | channel R² | primary action kept | usage (per level) | "
             "perplexity | tokens/s | train s | train frames/s |", "| --- |" + " --- |" * 14]
    for name, r in results.items():
        m, v, s = r["test"], r["test"]["vertex"], r["training"]
        lines.append(
            f"| {name} | {r['change']} | {v['face']['relative']:.3f} | {v['face']['mean_mm']:.3f} | "
            f"{v['face']['frame_max_mm']:.2f} | {v['lips']['frame_max_mm']:.2f} | "
            f"{v['lips']['mean_mm']:.3f} | {v['eyes']['frame_max_mm']:.2f} | "
            f"{m['channels']['channel_r2_mean']:.3f} | {m['channels'].get('primary_action_kept', float('nan')):.3f} | "
            + "/".join(f"{c['usage']:.0%}" for c in m["codebook"]) + " | "
            + "/".join(f"{c['perplexity']:.0f}" for c in m["codebook"])
            + f" | {m['tokens_per_second']:g} | {s['train_seconds']:.0f} | "
            f"{s['train_frames_per_s']:.0f} |")
    refs = {f"{r['test']['channels']['primary_action_reference']:.3f}" for r in results.values()
            if "primary_action_reference" in r["test"]["channels"]}
    lines[1] = lines[1].replace("{ref}", " / ".join(sorted(refs)) or "not FaceScript")
    stem = ROOT / "eval" / "results" / args.name
    _, md = write_result(stem, results, "\n".join(lines))
    print(md.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
