"""Do the tiny baselines do what FaceScript test prompts ask, and how fast do they sample?

    tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml
    tdmm-lm baseline train t2m-gpt --config configs/baselines/t2m_gpt_tiny.yaml
    nice -n 5 python eval/scripts/baselines_facescript.py --dataset runs/facescript \\
        --mdm runs/mdm_tiny --t2m-gpt runs/t2m_gpt_tiny
    # writes eval/results/baselines_facescript.{md,json}

Quality: for every test prompt (each row's primary ``text``), does the generated motion's
strongest action match the prompt's primary action (``judge.matches_primary_action``: among the
2 strongest, and as the single strongest)? Generators: ``ground-truth`` (the ceiling: the test
motion itself), MDM (50 DDIM steps, given the test clip's duration, as in Express4D), T2M-GPT
(chooses its own length) and ``random-train`` (the floor: a random training motion).

Speed: wall seconds per generated second of motion for MDM with the full 1000-step schedule,
MDM with 50 steps and T2M-GPT, on the same prompts, one prompt at a time and in one batch.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tdmm_lm.data.facescript.judge import matches_primary_action  # noqa: E402
from tdmm_lm.data.schema import load_dataset_dict  # noqa: E402
from tdmm_lm.generators import BuildContext, build_generator, generate_all  # noqa: E402
from tdmm_lm.provenance import best_of, write_result  # noqa: E402

TRAIN_COMMANDS = {
    "mdm": "tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml",
    "t2m-gpt": "tdmm-lm baseline train t2m-gpt --config configs/baselines/t2m_gpt_tiny.yaml",
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a share k/n."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def judge(motions, attributes) -> dict:
    n = len(motions)
    top2 = sum(matches_primary_action(m, a) for m, a in zip(motions, attributes))
    top1 = sum(matches_primary_action(m, a, top=1) for m, a in zip(motions, attributes))
    return {"prompts": n, "match_top2": top2 / n, "match_top2_ci95": wilson(top2, n),
            "match_top1": top1 / n, "match_top1_ci95": wilson(top1, n),
            "mean_seconds": sum(m.num_frames / m.fps for m in motions) / n}


def run_info(run: Path) -> dict:
    state = json.loads((run / "last" / "trainer_state.json").read_text())
    cfg = (run / "config.yaml").read_text()
    return {"steps": state["step"], "train_seconds": round(state["train_seconds"], 1),
            "best_step": state["best_step"], "best_val_loss": state["best_val_loss"], "config": cfg}


def speed(gen, texts: list[str], lengths, repeats: int) -> dict:
    """Seconds per generated second, one prompt at a time and all prompts in one batch."""
    out = {}
    for mode in ("batch_1", f"batch_{len(texts)}"):
        made = []

        def call():
            made.clear()
            if mode == "batch_1":
                for i, t in enumerate(texts):
                    made.extend(gen.generate([t], None if lengths is None else [lengths[i]], seed=i))
            else:
                made.extend(gen.generate(texts, lengths, seed=0))
        wall = best_of(call, repeats=repeats, warmup=False)
        seconds = sum(m.num_frames / m.fps for m in made)
        out[mode] = {"wall_s": round(wall, 3), "motion_s": round(seconds, 3),
                     "s_per_motion_s": wall / seconds}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="FaceScript DatasetDict (test split with attributes)")
    p.add_argument("--mdm", required=True, help="MDM run folder")
    p.add_argument("--t2m-gpt", required=True, help="T2M-GPT run folder")
    p.add_argument("--limit", type=int, help="only the first N test prompts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed-prompts", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "eval" / "results" / "baselines_facescript"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    test = load_dataset_dict(args.dataset)["test"]
    if args.limit:
        test = test.select(range(min(args.limit, len(test))))
    texts, attributes = list(test["text"]), list(test["attributes"])
    frames = [len(m) for m in test.select_columns(["motion"])["motion"]]
    fps = float(test[0]["fps"])
    context = BuildContext(dataset=args.dataset, split="test")
    gens = {
        "ground-truth": build_generator("ground-truth", None, context),
        "mdm (50 steps)": build_generator("mdm", args.mdm, BuildContext(options={"steps": 50})),
        "t2m-gpt": build_generator("t2m-gpt", args.t2m_gpt, context),
        "random-train": build_generator("random-train", None, context),
    }
    quality = {}
    for label, gen in gens.items():
        # MDM gets each test clip's duration (Express4D's protocol); the others choose their own
        lengths = ([max(1, round(f / fps * gen.fps)) for f in frames] if label.startswith("mdm")
                   else None)
        t = time.perf_counter()
        motions = generate_all(gen, texts, lengths, seed=args.seed)
        quality[label] = {**judge(motions, attributes), "generate_wall_s": round(time.perf_counter() - t, 1)}
        print(label, {k: v for k, v in quality[label].items() if not k.endswith("ci95")}, flush=True)

    speed_texts = texts[:args.speed_prompts]
    mdm_gen = gens["mdm (50 steps)"]
    mdm_lengths = [max(1, round(f / fps * mdm_gen.fps)) for f in frames[:args.speed_prompts]]
    mdm_full = build_generator("mdm", args.mdm, BuildContext(options={"steps": 1000}))
    speeds = {
        "mdm (1000 steps)": speed(mdm_full, speed_texts, mdm_lengths, repeats=1),
        "mdm (50 steps)": speed(mdm_gen, speed_texts, mdm_lengths, repeats=3),
        "t2m-gpt": speed(gens["t2m-gpt"], speed_texts, None, repeats=3),
    }
    for label, s in speeds.items():
        print(label, s, flush=True)

    runs = {"mdm": run_info(Path(args.mdm)), "t2m-gpt": run_info(Path(args.t2m_gpt))}
    results = {"dataset": args.dataset, "split": "test", "seed": args.seed, "quality": quality,
               "speed": speeds, "runs": runs, "train_commands": TRAIN_COMMANDS}
    md = ["# Tiny baselines on FaceScript: prompt adherence and sampling speed\n",
          f"Test split of `{args.dataset}`, {len(texts)} prompts (each clip's primary text), seed "
          f"{args.seed}. A generated motion *matches* when the prompt's primary action (with its "
          "side) is among its 2 strongest actions (`judge.matches_primary_action`); top-1 demands "
          "first place. 95% Wilson intervals in brackets.\n",
          "| generator | match (top 2) | match (top 1) | mean length s |", "| --- | --- | --- | --- |"]
    for label, q in quality.items():
        lo, hi = q["match_top2_ci95"]
        lo1, hi1 = q["match_top1_ci95"]
        md.append(f"| {label} | {q['match_top2']:.3f} [{lo:.3f}, {hi:.3f}] | {q['match_top1']:.3f} "
                  f"[{lo1:.3f}, {hi1:.3f}] | {q['mean_seconds']:.2f} |")
    md += ["", "MDM is given each test clip's duration; T2M-GPT ends motions with its END token; "
           "`random-train` returns a whole random training clip, `ground-truth` the test clip.", "",
           "## Sampling speed (wall seconds per generated second of motion; lower is faster)\n",
           f"The first {len(speed_texts)} test prompts; `batch 1` generates them one at a time, "
           f"`batch {len(speed_texts)}` in one call. Text encoding is included. MDM uses "
           "classifier-free guidance (two passes per step). Best of 3 runs (MDM with 1000 steps: "
           "one run), on the shared machine (its load average is under Environment).\n",
           f"| generator | batch 1 | batch {len(speed_texts)} | motion generated (batch 1) |",
           "| --- | --- | --- | --- |"]
    for label, s in speeds.items():
        b1, bn = s["batch_1"], s[f"batch_{len(speed_texts)}"]
        md.append(f"| {label} | {b1['s_per_motion_s']:.3f} | {bn['s_per_motion_s']:.3f} | "
                  f"{b1['motion_s']:.1f} s |")
    md += ["", "## Training runs\n",
           "Both trained on 2 shared CPU cores (other engineers' jobs ran at the same time) with "
           "`train.time_limit_minutes: 5`: each stopped after about 5 minutes of training, "
           "whatever step it had reached. Tiny settings: MDM 2 layers x 96 at 10 fps, EMA 0.98; "
           "T2M-GPT 2 layers x 96 over the 2-level x 512-code tokenizer (15 tokens/s), tied "
           "head, pkeep 0.9 (T2M-GPT's 0.5 learned too slowly for a 5-minute run).\n",
           "| model | command | steps | train s | best step | best val loss |", "| --- | --- | --- | --- | --- | --- |"]
    for kind, r in runs.items():
        md.append(f"| {kind} | `{TRAIN_COMMANDS[kind]}` | {r['steps']} | {r['train_seconds']:.0f} | "
                  f"{r['best_step']} | {r['best_val_loss']:.4f} |")
    write_result(args.out, results, "\n".join(md))
    print(f"wrote {args.out}.md/.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
