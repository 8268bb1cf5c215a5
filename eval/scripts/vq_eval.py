"""Reconstruction quality and speed of a trained motion tokenizer, on the test split and a real take.

    python eval/scripts/vq_eval.py --run runs/vq_tiny --dataset DATA --rig RIG.npz --name tiny \\
        --train-command "tdmm-lm vq train --config configs/vqvae/tiny.yaml ..."
    # writes eval/results/vq_<name>.{md,json}

The real take (../shared/assets/livelinkface, 60 fps) is resampled to the tokenizer's fps on the
way in, never tuned to. Training time and throughput come from the run's last/trainer_state.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
REAL_TAKE = ROOT.parent / "shared" / "assets" / "livelinkface" / "MySlate_3_Jason_Millers_iPhone.csv"

from tdmm_lm.motion import load  # noqa: E402
from tdmm_lm.provenance import write_result  # noqa: E402
from tdmm_lm.vqvae.evaluate import evaluate_dataset, evaluate_motions  # noqa: E402
from tdmm_lm.vqvae.tokenizer import MotionTokenizer  # noqa: E402
from tdmm_lm.geometry import FaceGeometry  # noqa: E402

REGIONS = ("face", "lips", "eyes", "brows", "jaw", "cheeks", "nose")


def row(label: str, m: dict) -> str:
    v = m["vertex"]
    usage = "/".join(f"{c['usage']:.0%}" for c in m["codebook"])
    ppl = "/".join(f"{c['perplexity']:.0f}" for c in m["codebook"])
    return (f"| {label} | {m['clips']} | {m['seconds']:.0f} | {v['face']['relative']:.3f} | "
            f"{v['face']['mean_mm']:.3f} | {v['face']['displacement_mm']:.3f} | "
            f"{v['face']['frame_max_mm']:.2f} | {v['lips']['frame_max_mm']:.2f} | "
            f"{v['eyes']['frame_max_mm']:.2f} | {m['param_l2']:.4f} | {usage} | {ppl} | "
            f"{m['tokens_per_second']:g} | {m['encode_fps']:.0f} | {m['decode_fps']:.0f} |")


def region_table(label: str, m: dict) -> str:
    lines = [f"\n### Per region, {label}\n", "| region | mean mm | frame-max mm | max mm | "
             "displacement mm | relative |", "| --- | --- | --- | --- | --- | --- |"]
    for r in REGIONS:
        if r in m["vertex"]:
            s = m["vertex"][r]
            lines.append(f"| {r} | {s['mean_mm']:.3f} | {s['frame_max_mm']:.2f} | {s['max_mm']:.2f} | "
                         f"{s['displacement_mm']:.3f} | {s['relative']:.3f} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="training run folder (or tokenizer folder)")
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--rig")
    p.add_argument("--name", required=True, help="results stem: eval/results/vq_<name>")
    p.add_argument("--train-command", default="", help="the command that trained the run")
    args = p.parse_args()

    tok = MotionTokenizer.from_pretrained(args.run)
    test = evaluate_dataset(tok, args.dataset, args.split, rig=args.rig)
    results = {"test": test, "train_command": args.train_command, "run": args.run,
               "config": tok.vq_config.to_dict()}
    lines = [f"# Motion tokenizer `{args.name}`: reconstruction\n",
             f"Tokenizer: {tok.format}, {tok.fps:g} fps, downsample {tok.downsample}, "
             f"{tok.levels} level(s) × {tok.codebook_size} codes, {tok.tokens_per_second:g} tokens/s.",
             f"Trained with: `{args.train_command}`  ",
             f"Evaluated with: `python {' '.join(sys.argv)}`\n",
             "Relative = mean vertex error / mean displacement from the neutral face on the same "
             "frames (always-neutral = 1.0). Frame-max = the worst vertex of each frame, averaged "
             "over frames. Usage = fraction of each level's codebook used on the clips.\n",
             "| clips | n | seconds | relative | mean mm | displacement mm | frame-max mm | "
             "lips frame-max mm | eyes frame-max mm | param L2 | usage | perplexity | tokens/s | "
             "encode frames/s | decode frames/s |",
             "| --- |" + " --- |" * 14, row(f"{args.split} split (subject-disjoint)", test)]
    if REAL_TAKE.exists():
        geometry = FaceGeometry.for_format(tok.format, tok.channels, rig=args.rig)
        real = evaluate_motions(tok, [load(REAL_TAKE)], geometry)
        results["real_take"] = real
        lines.append(row(f"real take {REAL_TAKE.name} (60→{tok.fps:g} fps)", real))
    state_file = Path(args.run) / "last" / "trainer_state.json"
    if state_file.is_file():
        state = json.loads(state_file.read_text())
        results["training"] = state
        lines.append(f"\nTraining: {state['step']} steps in {state['train_seconds']:.0f} s "
                     f"(+ validation), last-segment throughput {state['train_frames_per_s']:.0f} "
                     f"frames/s; best validation checkpoint at step {state['best_step']}.")
    lines.append(region_table(f"{args.split} split", test))
    if "real_take" in results:
        lines.append(region_table("real take", results["real_take"]))
    json_path, md_path = write_result(ROOT / "eval" / "results" / f"vq_{args.name}", results,
                                      "\n".join(lines))
    print(md_path.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
