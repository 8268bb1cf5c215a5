"""Speed of motion → vertices (batched decoding) and of rendering, written to eval/results/.

    python eval/scripts/bench_geometry.py [--ict-rig RIG.npz (default: the packaged ICT-FaceKit rig)]
        [--take ../shared/assets/livelinkface/MySlate_3_Jason_Millers_iPhone.csv]

Writes eval/results/geometry_speed.md and .json (machine, versions, git commit, this command).
Decoding: forward of B×T frames (and forward+backward on an 800-vertex loss subset, as a
VQ-VAE's vertex loss would); rendering: 5 s at 30 fps, front + three-quarter views, 256 px.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tdmm_lm.geometry import ArkitGeometry, FlameGeometry, load_rig, make_synthetic_flame_model
from tdmm_lm.geometry.procedural_rig import procedural_rig
from tdmm_lm.geometry.rig_choice import PACKAGED_RIG
from tdmm_lm.geometry.render import animation_frames
from tdmm_lm.motion import ARKIT61, Motion, load
from tdmm_lm.motion.formats import ARKIT61_CHANNELS, flame_channels
from tdmm_lm.provenance import best_of, write_result

ROOT = Path(__file__).resolve().parents[2]


def bench_decode(name: str, geo, motion: torch.Tensor) -> dict:
    frames = motion.shape[0] * motion.shape[1]
    with torch.no_grad():
        fwd = best_of(lambda: geo.vertices(motion))
    ids = geo.vertex_subset(800)

    def train_step():
        m = motion.clone().requires_grad_(True)
        geo.vertices(m, vertex_ids=ids).abs().mean().backward()
    step = best_of(train_step)
    return {"model": name, "vertices": geo.num_vertices, "batch": list(motion.shape[:2]),
            "forward_s": fwd, "frames_per_s": frames / fwd,
            "vertices_per_s": frames * geo.num_vertices / fwd,
            "subset800_fwd_bwd_s": step, "subset800_frames_per_s": frames / step}


def bench_render(name: str, geo, motion: Motion) -> dict:
    t = time.perf_counter()
    frames = animation_frames(geo, [motion], fps=30)
    dt = time.perf_counter() - t
    return {"model": name, "frames": len(frames), "views_per_frame": 2, "size": list(frames.shape[1:3]),
            "seconds": dt, "frames_per_s": len(frames) / dt}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ict-rig", type=Path, default=PACKAGED_RIG)
    ap.add_argument("--take", type=Path, default=ROOT.parent / "shared" / "assets" / "livelinkface"
                    / "MySlate_3_Jason_Millers_iPhone.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "geometry_speed")
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    arkit = torch.zeros(64, 64, len(ARKIT61_CHANNELS))
    arkit[..., :52] = torch.rand(64, 64, 52, generator=g)
    arkit[..., 52:] = torch.randn(64, 64, 9, generator=g) * 0.1
    rigs = [("procedural fallback rig", procedural_rig())]
    if args.ict_rig.is_file():
        rigs.insert(0, ("ICT-FaceKit rig", load_rig(args.ict_rig)))
    decode = [bench_decode(n, ArkitGeometry(r), arkit) for n, r in rigs]
    with tempfile.TemporaryDirectory() as tmp:
        make_synthetic_flame_model(tmp, n_vertices=5023, seed=0)     # real FLAME's vertex count
        channels = flame_channels(50)
        flame = FlameGeometry(tmp, channels)
        motion = torch.randn(16, 16, len(channels), generator=g) * 0.1
        decode.append(bench_decode("synthetic FLAME-format (5023 vertices)", flame, motion))
    take = (load(args.take) if args.take.is_file() else
            Motion(np.zeros((300, 61), np.float32), 60.0, ARKIT61, ARKIT61_CHANNELS))
    take = take.replace(data=take.data[: int(5 * take.fps)])           # 5 s
    render = [bench_render(n, ArkitGeometry(r), take) for n, r in rigs]
    result = {"decode": decode, "render": render,
              "render_input": str(args.take.name if args.take.is_file() else "zeros")}
    lines = ["# Geometry speed", "",
             "## Decoding motion → vertices (CPU, float32)", "",
             "| model | V | batch B×T | forward s | frames/s | vertices/s | 800-vertex fwd+bwd frames/s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in decode:
        lines.append(f"| {d['model']} | {d['vertices']} | {d['batch'][0]}×{d['batch'][1]} | "
                     f"{d['forward_s']:.3f} | {d['frames_per_s']:,.0f} | {d['vertices_per_s']:.3g} | "
                     f"{d['subset800_frames_per_s']:,.0f} |")
    lines += ["", f"## Rendering 5 s at 30 fps ({result['render_input']}), front + three-quarter, 256 px", "",
              "| rig | frames | seconds | frames/s |", "| --- | --- | --- | --- |"]
    for r in render:
        lines.append(f"| {r['model']} | {r['frames']} | {r['seconds']:.2f} | {r['frames_per_s']:.1f} |")
    _, md_path = write_result(args.out, result, "\n".join(lines))
    lines = [md_path.read_text()]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
