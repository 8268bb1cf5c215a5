"""Train the FaceScript extractor and record its validation curve.

    python eval/scripts/benchmark_extractor.py [--config configs/benchmark/extractor_facescript.yaml]
        [--skip-training]   # only tabulate an existing run's log

Writes ``eval/results/benchmark_extractor_facescript.{md,json}``: R-precision top-1/3 (batches of
32, validation split) and matching score at each validation pass, training seconds, and the
train-split fingerprint the benchmark checks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from tdmm_lm.benchmark.extractor import META, ExtractorConfig
from tdmm_lm.provenance import write_result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/benchmark/extractor_facescript.yaml")
    p.add_argument("--skip-training", action="store_true")
    args = p.parse_args()
    cfg = ExtractorConfig.from_yaml(args.config)
    command = ["tdmm-lm", "eval", "train-extractor", "--config", args.config, "--no-progress"]
    if not args.skip_training:
        subprocess.run([sys.executable, "-m", "tdmm_lm", *command[1:]], check=True)
    out = Path(cfg.out)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if line]
    meta = json.loads((out / META).read_text())
    lines = ["# FaceScript feature extractor\n",
             f"`{' '.join(command)}`: {cfg.steps} steps, batch {cfg.batch_size}, "
             f"{cfg.text_encoder} word features, co-embedding {cfg.embed_dim}, margin "
             f"{cfg.margin:g}, seed {cfg.seed}, {cfg.num_threads} torch thread(s). Train split "
             f"fingerprint `{meta['fingerprint'][:12]}` ({meta['train_clips']} clips). Kept: step "
             f"{meta['validation']['step']} (best validation top-3). Seconds: wall time since "
             "training started, validation passes included (the training run's machine load is "
             "not recorded here; the environment below is that of this tabulation).\n",
             "| step | seconds | val R-Prec top-1 | top-3 | matching |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['step']} | {r['seconds']} | {r['top1']:.3f} | {r['top3']:.3f} | "
              f"{r['matching']:.3f} |" for r in log]
    write_result("eval/results/benchmark_extractor_facescript",
                 {"log": log, "kept": meta["validation"], "fingerprint": meta["fingerprint"],
                  "train_command": " ".join(command)}, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
