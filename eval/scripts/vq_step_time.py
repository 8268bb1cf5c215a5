"""Seconds per tokenizer training step by the vertex term's size, side by side in one process.

    PYTHONPATH=$PWD python eval/scripts/vq_step_time.py --out eval/results/vq_step_time

One forward, loss, backward and Adam step of the tiny tokenizer (configs/vqvae/tiny.yaml's model
and loss) on a random batch of 32 windows of 64 frames, with the vertex term on 800, 400 or 200
vertices of the packaged rig, or off. The variants take turns, round after round, so a busy
machine slows them alike; the median of each variant's steps is reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from tdmm_lm.geometry import FaceGeometry
from tdmm_lm.motion.formats import get_format
from tdmm_lm.provenance import write_result
from tdmm_lm.vqvae.config import VQConfig
from tdmm_lm.vqvae.losses import VQLoss
from tdmm_lm.vqvae.model import VQVAE


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/vqvae/tiny.yaml")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=5, help="steps per variant per round")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="eval/results/vq_step_time")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = VQConfig.from_yaml(args.config)
    fmt = get_format("arkit61")
    geometry = FaceGeometry.for_format(fmt.name)
    model = VQVAE(len(fmt.channels), cfg.model)
    optimizer = torch.optim.Adam(model.parameters(), cfg.train.lr)
    x = torch.randn(cfg.train.batch_size, cfg.data.window, len(fmt.channels)) * 0.5
    mask = torch.ones(x.shape[:2], dtype=torch.bool)
    pairs = fmt.mirror_pairs()
    variants = {f"{n} vertices": VQLoss(dataclasses.replace(cfg.loss, vertex_subset=n), geometry,
                                        mirror_pairs=pairs) for n in (800, 400, 200)}
    variants["no vertex term"] = VQLoss(dataclasses.replace(cfg.loss, vertex=0.0),
                                        mirror_pairs=pairs)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(args.rounds + 1):          # round 0 warms up and is not counted
        for name, loss_fn in variants.items():
            for _ in range(args.steps):
                start = time.perf_counter()
                out = model(x, mask)
                total, _ = loss_fn(x, out["recon"], mask, out["commitment"], lambda z: z * 0.1)
                optimizer.zero_grad()
                total.backward()
                optimizer.step()
                if round_:
                    times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["no vertex term"]
    lines = ["# Tokenizer training step time by the vertex term's size", "",
             f"`{args.config}` model and loss, batch {cfg.train.batch_size} × {cfg.data.window} "
             f"frames, {args.threads} thread(s), {args.rounds} rounds × {args.steps} steps per "
             "variant, taking turns; median seconds per step.", "",
             "| vertex term | s / step | × without it |", "| --- | --- | --- |"]
    lines += [f"| {name} | {m:.3f} | {m / base:.2f} |" for name, m in medians.items()]
    lines += ["", f"Command: `PYTHONPATH=$PWD python eval/scripts/vq_step_time.py --config {args.config} "
              f"--rounds {args.rounds} --steps {args.steps} --threads {args.threads} --out {args.out}`"]
    write_result(args.out, {"seconds_per_step": medians, "steps_counted": len(times["no vertex term"])},
                 "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
