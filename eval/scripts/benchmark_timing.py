"""Wall time of ``tdmm-lm eval run eval/benchmarks/facescript.yaml`` (20 replications) on this
machine: from an empty cache, with cached generations only, and with everything cached.

    python eval/scripts/benchmark_timing.py [--benchmark eval/benchmarks/facescript.yaml]

The run with cached generations (the per-generation measures recomputed) writes the official
table to ``eval/results/facescript/<date>.md``; the timings go to
``eval/results/benchmark_timing.{md,json}``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tdmm_lm.provenance import write_result


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--benchmark", default="eval/benchmarks/facescript.yaml")
    p.add_argument("--only", help="passed to eval run")
    args = p.parse_args()
    base = [sys.executable, "-m", "tdmm_lm", "eval", "run", args.benchmark]
    if args.only:
        base += ["--only", args.only]
    scratch = Path(tempfile.mkdtemp(prefix="bench_timing_"))
    cold, gens = scratch / "cold", scratch / "generations_only"
    seconds = {"empty cache (generate + measure)":
               timed(base + ["--cache-dir", str(cold), "--results-dir", str(scratch / "r1")])}
    # keep the generations (motions, descriptions); drop what was measured on them
    shutil.copytree(cold, gens, ignore=lambda d, names: [
        n for n in names if n.endswith(".json") and not n.endswith(".descriptions.json")])
    seconds["cached generations (measures recomputed)"] = timed(base + ["--cache-dir", str(gens)])
    seconds["everything cached"] = timed(base + ["--cache-dir", str(cold), "--results-dir",
                                                 str(scratch / "r3")])
    shutil.rmtree(scratch)
    lines = ["# FaceScript benchmark wall time\n",
             f"`{' '.join(['tdmm-lm'] + base[3:])}` (20 replications; whole command, imports "
             "included). The acceptance target is under 2 minutes with cached generations and a "
             "trained extractor.\n", "| cache state | seconds |", "| --- | --- |"]
    lines += [f"| {k} | {v:.1f} |" for k, v in seconds.items()]
    write_result("eval/results/benchmark_timing", {"seconds": seconds, "benchmark": args.benchmark},
                 "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
