"""Do the trainers still learn what they learned before the shared runner? Train the tiny
tokenizer, LM, MDM, T2M-GPT and the benchmark extractor with their shipped configs (same seeds,
same data, a fixed step budget instead of the time limits) on the code before the refactor and on
this tree, side by side (old and new run at the same time, one thread each), and compare the
validation numbers each wrote.

    git worktree add /tmp/pre_runner c956cce        # the commit before the runner
    python eval/scripts/refactor_parity.py --old-tree /tmp/pre_runner --work runs/parity

Writes eval/results/refactor_parity.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tdmm_lm.provenance import environment, environment_markdown  # noqa: E402

# (name, command after `python -m tdmm_lm`, the metrics read from the last validation record)
# a fixed step budget each (the shipped configs' time limits would make the budget depend on load)
STEPS = {"vq": 150, "lm": 300, "mdm": 300, "t2m-gpt": 300, "extractor": 300}
# both sides measure vertices on the same face: the packaged ICT rig (the old tree's default was
# the procedural face unless a rig was cached)
RIG = ROOT / "tdmm_lm" / "geometry" / "assets" / "ict_arkit_rig.npz"


def cli(tree: Path, args: list[str], log: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    with open(log, "w") as f:
        done = subprocess.run([sys.executable, "-m", "tdmm_lm", *map(str, args)], cwd=tree, env=env,
                              stdout=f, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"{tree}: `tdmm-lm {' '.join(map(str, args))}` failed; see {log}")
    return time.perf_counter() - t


def last_validation(run: Path) -> dict:
    records = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    val = [r for r in records if "val" in r or "top3" in r]
    return val[-1]


def summary(name: str, record: dict) -> dict:
    v = record.get("val", record)
    if name == "vq":
        return {"vertex_mm": v["vertex"]["face"]["mean_mm"], "relative": v["vertex"]["face"]["relative"],
                "param_l2": v["param_l2"]}
    if name == "lm":
        return {"m2l_loss": v["m2l_loss"], "l2m_loss": v["l2m_loss"],
                "l2m_token_accuracy": v["l2m_token_accuracy"]}
    if name == "extractor":
        return {"top1": v["top1"], "top3": v["top3"], "matching": v["matching"]}
    return {k: v[k] for k in ("loss", "accuracy") if k in v}


def commands(side: str, tree: Path, work: Path) -> dict[str, list]:
    """Each trainer's command on one side. Both read the same corpus and (LM, T2M-GPT) the codes
    of the same tokenizer; only the config layout and the motion-tokenizer flag differ."""
    out = work / side
    tok_flag = "--tokenizer" if side == "old" else "--motion-tokenizer"
    data, codes, tok = work / "facescript", work / "facescript_codes", work / "old" / "vq" / "best"
    return {
        "vq": ["vq", "train", "--config", "configs/vqvae/tiny.yaml", "--dataset", data,
               "--out", out / "vq", "--steps", STEPS["vq"], "--rig", RIG, "--no-progress"],
        "lm": ["llm", "train", "--config", "configs/lm/tiny.yaml", "--dataset", codes,
               "--motion-tokenizer", tok, "--out", out / "lm", "--steps", STEPS["lm"], "--no-progress"],
        "mdm": ["baseline", "train", "mdm", "--config", "configs/baselines/mdm_tiny.yaml",
                "--dataset", data, "--out", out / "mdm", "--steps", STEPS["mdm"], "--no-progress"],
        "t2m-gpt": ["baseline", "train", "t2m-gpt", "--config", "configs/baselines/t2m_gpt_tiny.yaml",
                    "--dataset", codes, tok_flag, tok, "--out", out / "t2m-gpt",
                    "--steps", STEPS["t2m-gpt"], "--no-progress"],
        "extractor": ["eval", "train-extractor", "--config", "configs/benchmark/extractor_facescript.yaml",
                      "--dataset", data, "--out", out / "extractor", "--steps", STEPS["extractor"],
                      "--no-progress"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old-tree", required=True, type=Path)
    p.add_argument("--work", default="runs/parity", type=Path)
    p.add_argument("--num-samples", type=int, default=2000)
    p.add_argument("--only", nargs="*", choices=list(STEPS))
    p.add_argument("--out", default=str(ROOT / "eval" / "results" / "refactor_parity"))
    args = p.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    trees = {"old": args.old_tree.resolve(), "new": ROOT}
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    if not (work / "facescript").is_dir():
        cli(ROOT, ["data", "synth", "--out", work / "facescript", "--num-samples", args.num_samples],
            logs / "synth.log")
    results: dict = {}
    order = args.only or list(STEPS)
    if "vq" in order or not (work / "old" / "vq" / "best").is_dir():
        order = ["vq"] + [n for n in order if n != "vq"]
    for name in order:
        if name == "lm" and not (work / "facescript_codes").is_dir():
            cli(ROOT, ["vq", "tokenize-dataset", work / "facescript", "--model",
                       work / "old" / "vq" / "best", "--out", work / "facescript_codes"],
                logs / "tokenize.log")
        load = os.getloadavg()[0]
        with ThreadPoolExecutor(2) as pool:   # old and new side by side: the same machine load
            futures = {side: pool.submit(cli, tree, commands(side, tree, work)[name],
                                         logs / f"{name}_{side}.log") for side, tree in trees.items()}
            seconds = {side: f.result() for side, f in futures.items()}
        results[name] = {side: {"seconds": round(seconds[side], 1), "step": last_validation(
            work / side / name)["step"], **summary(name, last_validation(work / side / name))}
            for side in trees}
        results[name]["load_average_1m_at_start"] = load
        print(name, json.dumps(results[name]))
    out = Path(args.out)
    payload = {"results": results, "steps": STEPS, "old_tree": str(trees["old"]),
               "environment": environment(), "command": " ".join(sys.argv)}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1) + "\n")
    rows = ["| trainer | steps | metric | before the runner | with the runner | seconds (before / after) |",
            "|---|---|---|---|---|---|"]
    for name, r in results.items():
        for metric in (k for k in r["old"] if k not in ("seconds", "step")):
            rows.append(f"| {name} | {r['old']['step']} / {r['new']['step']} | {metric} | "
                        f"{r['old'][metric]:.4g} | {r['new'][metric]:.4g} | "
                        f"{r['old']['seconds']} / {r['new']['seconds']} |")
    out.with_suffix(".md").write_text(
        "# The trainers before and after the shared runner\n\n"
        f"`{payload['command']}`; old tree: the commit before the runner. Same corpus "
        f"({args.num_samples} FaceScript clips, seed 0), same seeds, each trainer's shipped config "
        "with a fixed step budget; LM and T2M-GPT read the codes of the old run's tokenizer. Old and "
        "new ran side by side, one torch thread each. Differences come from torch's random stream "
        "(the runner reseeds it per step so resumes are exact) and, for the extractor, from its "
        "batch stream (now shared with the other trainers) and warm-up-free constant rate.\n\n"
        + "\n".join(rows) + "\n\n" + environment_markdown(payload["environment"]) + "\n")
    print(f"wrote {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
