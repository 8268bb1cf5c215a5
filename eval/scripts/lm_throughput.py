"""Training throughput of an LM config on this machine: tokens per second through the real
training step (``LMTask``: the run's model, batches and loss), for a fixed wall time.

    python eval/scripts/lm_throughput.py --config configs/lm/smollm2_135m_lora.yaml \
        --set data.dataset=runs/facescript_codes data.motion_tokenizer=runs/vq_tiny/best \
        --seconds 120 --threads 1 --out eval/results/smollm2_lora

Counts the tokens the loss reads (attention-mask ones; padding apart) and reports the base's
load time separately (a GGUF base is converted on its first use, then read from the cache).
Optimiser: AdamW at the config's learning rate, no schedule (throughput, not a training run).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time

import numpy as np
import torch

from tdmm_lm.lm.config import LMConfig
from tdmm_lm.provenance import write_result


def measure(cfg: LMConfig, seconds: float) -> dict:
    from accelerate import Accelerator

    from tdmm_lm.lm.train import LMTask

    t = time.perf_counter()
    task = LMTask(cfg, Accelerator(cpu=True))
    load_s = time.perf_counter() - t
    model = task.model.train()
    opt = torch.optim.AdamW(task.param_groups(cfg.train), lr=cfg.train.lr)
    rng = np.random.default_rng(cfg.train.seed)
    steps, tokens, padded, losses = 0, 0, 0, []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = task.batch(rng, cfg.train.batch_size, "cpu")
        loss, logs = task.loss(model, batch)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps += 1
        tokens += logs["tokens"]
        padded += batch["batch"]["input_ids"].numel()
        losses.append(float(loss.detach()))
    wall = time.perf_counter() - start
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"load_seconds": load_s, "seconds": wall, "steps": steps, "tokens": tokens,
            "tokens_per_s": tokens / wall, "padded_tokens_per_s": padded / wall,
            "seconds_per_step": wall / max(steps, 1), "batch_size": cfg.train.batch_size,
            "max_length": cfg.data.max_length, "trainable_parameters": trainable,
            "loss_first5": float(np.mean(losses[:5])), "loss_last5": float(np.mean(losses[-5:])),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    p.add_argument("--set", nargs="*", default=[], help="dotted-key overrides (key=value)")
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help="write OUT.json / OUT.md (default: print only)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg = LMConfig.from_yaml(args.config, args.set)
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    r = measure(cfg, args.seconds)
    r.update(config=args.config, overrides=args.set, threads=args.threads,
             uptime_before=uptime_before,
             uptime_after=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
             cpu_count=os.cpu_count())
    lines = [f"# Training throughput: `{args.config}`\n",
             "| tokens/s | padded tokens/s | s/step | steps | batch | max_length | trainable params "
             "| base load s | loss first 5 → last 5 | peak RSS GB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {r['tokens_per_s']:.0f} | {r['padded_tokens_per_s']:.0f} | {r['seconds_per_step']:.2f} "
             f"| {r['steps']} | {r['batch_size']} | {r['max_length']} | {r['trainable_parameters']:,} "
             f"| {r['load_seconds']:.1f} | {r['loss_first5']:.2f} → {r['loss_last5']:.2f} "
             f"| {r['peak_rss_gb']:.2f} |",
             f"\n{r['seconds']:.0f} s of training steps, {args.threads} thread(s). "
             f"`uptime` before: `{uptime_before}`; after: `{r['uptime_after']}`."]
    print("\n".join(lines))
    if args.out:
        write_result(args.out, r, "\n".join(lines))


if __name__ == "__main__":
    main()
