"""Reading speed of Live Link Face CSV and FaceScript generation speed.

    python eval/scripts/bench_foundation.py            # writes eval/results/foundation_speed.{md,json}

Measures: frames/s reading and writing a long CSV (10 minutes at 60 fps, built from the real take
in ../shared/assets when present, else from random values), FaceScript samples/s in both formats,
and the wall time of `tdmm-lm data synth --num-samples 2000` (a fresh process, start-up included).
Timings are the best of several repeats.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample
from tdmm_lm.motion import ARKIT61, Motion, load, save
from tdmm_lm.provenance import best_of, write_result

ROOT = Path(__file__).resolve().parents[2]
REAL_TAKE = ROOT.parent / "shared" / "assets" / "livelinkface" / "MySlate_3_Jason_Millers_iPhone.csv"


def long_take(frames: int) -> tuple[Motion, str]:
    if REAL_TAKE.exists():
        base = load(REAL_TAKE).data
        origin = f"the real take tiled to {frames} frames"
    else:
        base = np.random.default_rng(0).uniform(0, 1, (328, 61)).astype(np.float32)
        origin = f"random values, {frames} frames (../shared absent)"
    data = np.tile(base, (frames // len(base) + 1, 1))[:frames]
    return Motion(data, 60.0, ARKIT61, ARKIT61.channels), origin


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        frames = 60 * 60 * 10
        motion, origin = long_take(frames)
        path = Path(tmp) / "long.csv"
        write_s = best_of(lambda: save(motion, path))
        read_s = best_of(lambda: load(path))
        results["csv"] = {"frames": frames, "origin": origin, "read_frames_per_s": frames / read_s,
                          "write_frames_per_s": frames / write_s, "mb": path.stat().st_size / 1e6}

        for fmt in ("arkit61", "flame"):
            config = FaceScriptConfig(num_samples=500, seed=0, format=fmt)
            n = config.num_samples
            seconds = best_of(lambda: [generate_sample(config, i) for i in range(n)], repeats=2, warmup=False)
            results[f"facescript_{fmt}"] = {"samples": n, "samples_per_s": n / seconds}

        out = Path(tmp) / "fs"
        cmd = [sys.executable, "-m", "tdmm_lm", "data", "synth", "--out", str(out), "--num-samples", "2000"]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        results["data_synth_2000"] = {"seconds": time.perf_counter() - t,
                                      "command": "tdmm-lm data synth --out DIR --num-samples 2000"}

    csv, synth = results["csv"], results["data_synth_2000"]
    markdown = f"""# Foundation speed: motion file reading and FaceScript generation

| what | result |
| --- | --- |
| read Live Link Face CSV ({csv['frames']} frames, {csv['mb']:.1f} MB; {csv['origin']}) | {csv['read_frames_per_s']:,.0f} frames/s |
| write Live Link Face CSV | {csv['write_frames_per_s']:,.0f} frames/s |
| FaceScript generation, arkit61 (30 fps) | {results['facescript_arkit61']['samples_per_s']:,.0f} samples/s |
| FaceScript generation, flame (25 fps) | {results['facescript_flame']['samples_per_s']:,.0f} samples/s |
| `{synth['command']}` (fresh process, generation + save_to_disk + card) | {synth['seconds']:.1f} s |

Best of 3 repeats (generation: best of 2), one process.
"""
    json_path, md_path = write_result(ROOT / "eval" / "results" / "foundation_speed", results, markdown)
    print(md_path.read_text())


if __name__ == "__main__":
    main()
