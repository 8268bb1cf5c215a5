"""Short TDMM-LM ablations on FaceScript, one change each against configs/lm/tiny.yaml:
motion-row initialisation (mean + noise vs the VQ codebook through a projection) and LoRA vs
full fine-tuning of the config-built (randomly initialised) base.

    nice -n 5 python eval/scripts/lm_ablation.py --steps 400
    # writes eval/results/lm_ablation.{md,json}

Every variant trains the same number of steps one after another (never in parallel: the CPU is
shared) and is compared on the validation split's teacher-forced scores at its last step (M2L
loss, L2M loss and L2M token accuracy; ``tdmm_lm.lm.scoring``). A finished variant is not
retrained (its last/ checkpoint is at the final step): rerunning only rewrites the table.
Train minutes include waiting for other work on the shared machine (load in the environment).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tdmm_lm.lm.config import LMConfig  # noqa: E402
from tdmm_lm.lm.train import train  # noqa: E402
from tdmm_lm.provenance import write_result  # noqa: E402

BASE = ROOT / "configs" / "lm" / "tiny.yaml"
# name: (what changes, dotted overrides)
VARIANTS = {
    "base": ("tiny.yaml: full fine-tuning, motion rows = mean + noise", {}),
    "codebook_init": ("motion rows from the VQ codebook through a random projection",
                      {"model.motion_init": "codebook"}),
    "lora": ("LoRA r16 (attention + MLP) + trainable motion rows instead of full fine-tuning",
             {"model.finetune": "lora"}),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--runs", default="runs/lm_ablation")
    p.add_argument("--only", nargs="*", help="variants to run (default all)")
    p.add_argument("--out", default=str(ROOT / "eval" / "results" / "lm_ablation"))
    args = p.parse_args()

    results = {}
    for name in args.only or VARIANTS:
        what, overrides = VARIANTS[name]
        run = Path(args.runs) / name
        cfg = LMConfig.from_yaml(BASE).with_overrides({**overrides, **{
            "train.out": str(run), "train.steps": args.steps, "train.eval_every": args.steps,
            "train.checkpoint_every": args.steps, "train.max_minutes": 0.0}})
        train(cfg, progress=False)
        state = json.loads((run / "last" / "trainer_state.json").read_text())
        saved = next(f for f in (run / "best" / "adapter" / "adapter_model.safetensors",
                                 run / "best" / "model" / "model.safetensors") if f.is_file())
        results[name] = {"change": what, "steps": state["step"],
                         "saved_weights": str(saved.relative_to(run)),
                         "saved_weights_bytes": saved.stat().st_size,
                         "train_minutes": round(state["train_seconds"] / 60, 2),
                         "trainable_parameters": state["trainable_parameters"],
                         **state["best_metrics"]}
        print(name, json.dumps(results[name]), flush=True)
    lines = ["# TDMM-LM ablations (validation split, teacher-forced)", "",
             f"Each variant: `configs/lm/tiny.yaml` with one change, {args.steps} steps, same seed "
             "and batches; scores at the last step. Produced by `eval/scripts/lm_ablation.py`.", "",
             "| variant | change | trainable params | saved weights (bytes) | train min | M2L loss "
             "| L2M loss | L2M token acc |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['change']} | {r['trainable_parameters']:,} "
                     f"| `{r['saved_weights']}` ({r['saved_weights_bytes']:,}) | {r['train_minutes']} "
                     f"| {r['m2l_loss']:.3f} | {r['l2m_loss']:.3f} | {r['l2m_token_accuracy']:.3f} |")
    write_result(args.out, {"steps": args.steps, "variants": results}, "\n".join(lines))
    print(f"wrote {args.out}.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
