"""Train the token-rate grid: tokenizers at several rates and quantisers, and on each one's codes a
fixed-budget T2M-GPT scored by the benchmark. Two lanes run side by side, one thread each.

    PYTHONPATH=$PWD python eval/scripts/vq_rate_grid.py --out runs/rate --corpus runs/facescript \
        --realism runs/facescript_realism --extractor runs/extractor --rig RIG.npz \
        --points vq_ds4 rvq_ds8 ... [--t2m-minutes 5]

Every tokenizer trains ``configs/vqvae/tiny.yaml`` (2000 steps) on the same mix: the clean
FaceScript corpus (primary: its validation split picks ``best/``) and the same scripts with the
realism layer (weight 1 each); only the rate/quantiser overrides of ``POINTS`` differ. Each
point's folder holds ``vq/``, ``codes/``, ``t2m_gpt/`` and ``benchmark/results.json``;
``vq_rate.py --runs OUT/*/vq`` then measures reconstruction and reads the R-precision back.
A point whose ``benchmark/results.json`` exists is skipped (rerun = resume).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# name -> overrides of configs/vqvae/tiny.yaml (30 fps: tokens/s = 30 / downsample x levels)
POINTS = {
    "rvq_ds2": ["model.downsample=2", "model.levels=2", "model.codebook_size=512"],      # 30
    "rvq_ds4": ["model.downsample=4", "model.levels=2", "model.codebook_size=512"],      # 15 (old default)
    "vq_ds2": ["model.downsample=2", "model.levels=1", "model.codebook_size=1024"],      # 15
    "fsq_ds2": ["model.downsample=2", "model.levels=1", "model.quantizer=fsq"],          # 15
    "vq_ds4": ["model.downsample=4", "model.levels=1", "model.codebook_size=1024"],      # 7.5
    "rvq_ds8": ["model.downsample=8", "model.levels=2", "model.codebook_size=512"],      # 7.5
    "fsq_ds4": ["model.downsample=4", "model.levels=1", "model.quantizer=fsq"],          # 7.5
    "vq_ds4_2048": ["model.downsample=4", "model.levels=1", "model.codebook_size=2048",  # 7.5
                    "model.dead_code_threshold=0.05"],
    "vq_ds8": ["model.downsample=8", "model.levels=1", "model.codebook_size=1024"],      # 3.75
    "fsq_ds8": ["model.downsample=8", "model.levels=1", "model.quantizer=fsq"],          # 3.75
    # the normaliser's std floor, ablated at the 7.5 tokens/s VQ point (RECONSTRUCTION_ONLY)
    "vq_ds4_floor0.001": ["model.downsample=4", "model.levels=1", "model.codebook_size=1024",
                          "data.std_floor=0.001"],
}
RECONSTRUCTION_ONLY = {"vq_ds4_floor0.001"}   # points scored without a T2M-GPT run


def cli(*args: str, log: Path) -> None:
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ tdmm-lm " + " ".join(args) + "\n")
        f.flush()
        subprocess.run([sys.executable, "-m", "tdmm_lm", *args], check=True, stdout=f,
                       stderr=subprocess.STDOUT, cwd=ROOT)


def run_point(name: str, args) -> None:
    out = Path(args.out) / name
    if (out / "benchmark" / "results.json").is_file():
        return
    out.mkdir(parents=True, exist_ok=True)
    log = out / "log.txt"
    mix = (f"data.datasets=[{{path: {args.corpus}, weight: 1.0}}, "
           f"{{path: {args.realism}, weight: 1.0}}]")
    # 2000 steps: the ablation was run before the default went to 3000 (configs/vqvae/tiny.yaml)
    sets = [s for kv in ["train.num_threads=1", "train.steps=2000", mix, *POINTS[name]]
            for s in ("--set", kv)]
    if not (out / "vq" / "best").is_dir():
        cli("vq", "train", "--config", "configs/vqvae/tiny.yaml", "--out", str(out / "vq"),
            "--rig", args.rig, "--no-progress", *sets, log=log)
    if name in RECONSTRUCTION_ONLY or args.t2m_minutes <= 0:
        return
    if not (out / "codes" / "dataset_dict.json").is_file():
        cli("vq", "tokenize-dataset", args.corpus, "--model", str(out / "vq" / "best"),
            "--out", str(out / "codes"), log=log)
    if not (out / "t2m_gpt" / "best").is_dir():
        cli("baseline", "train", "t2m-gpt", "--config", "configs/baselines/t2m_gpt_tiny.yaml",
            "--dataset", str(out / "codes"), "--motion-tokenizer", str(out / "vq" / "best"),
            "--out", str(out / "t2m_gpt"), "--steps", "100000",
            "--max-minutes", str(args.t2m_minutes), "--no-progress",
            "--set", "train.num_threads=1", log=log)
    bench = yaml.safe_load((ROOT / "eval/benchmarks/facescript.yaml").read_text())
    bench.update(name="facescript", dataset=args.corpus, extractor=args.extractor,
                 motion_tokenizer=str(out / "vq" / "best"), rig=args.rig,
                 cache_dir=str(out / "benchmark" / "cache"), results_dir=str(out / "benchmark"),
                 replications=10, num_threads=1,
                 generators=["ground-truth", "random-train",
                             {"name": "t2m-gpt", "checkpoint": str(out / "t2m_gpt")}],
                 describers=[])
    (out / "benchmark.yaml").write_text(yaml.safe_dump(bench, sort_keys=False))
    cli("eval", "run", str(out / "benchmark.yaml"), "--limit", "96", log=log)
    written = sorted((out / "benchmark" / "facescript").glob("*.json"))[-1]   # UTC-stamped name
    shutil.copy(written, out / "benchmark" / "results.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", required=True, help="clean FaceScript DatasetDict (primary)")
    ap.add_argument("--realism", required=True, help="the same scripts with --realism")
    ap.add_argument("--extractor", required=True, help="benchmark extractor run for this corpus")
    ap.add_argument("--rig", required=True)
    ap.add_argument("--points", nargs="+", default=list(POINTS), choices=list(POINTS))
    ap.add_argument("--t2m-minutes", type=float, default=5.0)
    ap.add_argument("--lanes", type=int, default=2)
    args = ap.parse_args()
    queue, lock, failures = list(args.points), threading.Lock(), []

    def lane() -> None:
        while True:
            with lock:
                if not queue:
                    return
                name = queue.pop(0)
            try:
                run_point(name, args)
                print(f"{name}: done", flush=True)
            except subprocess.CalledProcessError as e:
                failures.append(name)
                print(f"{name}: failed ({e}); see {Path(args.out) / name / 'log.txt'}", flush=True)

    threads = [threading.Thread(target=lane) for _ in range(args.lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
