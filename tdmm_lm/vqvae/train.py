"""Train the motion tokenizer with Accelerate: the same code on CPU, one GPU or several.

    tdmm-lm vq train --config configs/vqvae/tiny.yaml --dataset DATA --out runs/vq_tiny
    accelerate launch -m tdmm_lm.vqvae.train --config configs/vqvae/gpu.yaml --dataset DATA
    # CPU data parallel (FIELD_NOTES): ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 ...

Run folder: ``config.yaml`` (resolved), ``last/`` (Accelerate state + trainer_state.json +
config.yaml: rerunning the same command resumes there), ``best/`` (the tokenizer with the
lowest validation vertex error, ``save_pretrained`` format + config.yaml + metrics.json) and
``log.jsonl``. Batches are a pure function of (seed, process, step), so a resumed run draws
the same windows it would have drawn.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.ops import Normalizer, pad_batch, random_crop
from tdmm_lm.vqvae.args import add_train_args, config_from_args
from tdmm_lm.vqvae.config import VQConfig
from tdmm_lm.vqvae.losses import VQLoss
from tdmm_lm.vqvae.tokenizer import MotionTokenizer, prepare_motion

STATE_FILE = "trainer_state.json"


def lr_factor(step: int, cfg) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio``."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(cfg.steps - cfg.warmup_steps, 1)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def sample_batch(arrays: list[np.ndarray], cfg, step: int, process: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Random windows ``[B, window, D]`` + mask ``[B, window]`` for one process at one step."""
    rng = np.random.default_rng([cfg.seed, process, step])
    picks = rng.integers(0, len(arrays), cfg.batch_size)
    crops = [random_crop(arrays[i], cfg.window, rng) for i in picks]
    return pad_batch(crops, cfg.window, mode="edge")


def train(cfg: VQConfig, *, rig=None, flame_model=None, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best tokenizer."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm

    from tdmm_lm.data.schema import load_dataset_dict, require_splits
    from tdmm_lm.vqvae.dataset import split_motions
    from tdmm_lm.vqvae.evaluate import evaluate_motions, summary_line

    tc = cfg.train
    if not tc.dataset:
        raise TdmmError("no dataset: set train.dataset in the config or pass --dataset DIR")
    if tc.num_threads:
        torch.set_num_threads(tc.num_threads)
    accelerator = Accelerator(mixed_precision=tc.mixed_precision)
    set_seed(tc.seed)
    out = Path(tc.out)
    last, best = out / "last", out / "best"

    dd = load_dataset_dict(tc.dataset)
    require_splits(dd, tc.dataset)
    train_motions = split_motions(dd["train"])
    fps = tc.fps or train_motions[0].fps
    first = train_motions[0]
    # resample once up front; the Normalizer sees the TRAIN split only (no test leak)
    raw_train = [prepare_motion(m, first.format.name, first.channels, fps) for m in train_motions]
    normalizer = Normalizer.fit(raw_train, first.channels, first.format.name)
    tokenizer = MotionTokenizer.build(cfg, normalizer, fps)
    train_arrays = [normalizer.normalize(a) for a in raw_train if len(a) >= tc.window // 2]
    if not train_arrays:
        raise TdmmError(f"{tc.dataset}: no training clip has {tc.window // 2}+ frames at {fps:g} "
                        "fps; lower train.window")
    val_motions = split_motions(dd["validation"], tc.max_val_samples)

    from tdmm_lm.geometry import FaceGeometry
    geometry = FaceGeometry.for_format(first.format.name, first.channels, rig=rig,
                                       flame_model=flame_model)
    loss_fn = VQLoss(cfg.loss, geometry, seed=tc.seed).to(accelerator.device)
    optimizer = torch.optim.AdamW(tokenizer.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, tc))
    model, optimizer, scheduler = accelerator.prepare(tokenizer, optimizer, scheduler)
    unwrapped = accelerator.unwrap_model(model)

    # train_seconds: optimisation only; validation_seconds: the validation passes
    state = {"step": 0, "best_vertex_mm": None, "best_step": None, "train_seconds": 0.0,
             "validation_seconds": 0.0}
    if (last / STATE_FILE).is_file():
        saved = VQConfig.from_yaml(last / "config.yaml")
        if saved.model != cfg.model:
            raise TdmmError(f"{last}: holds a checkpoint of a different model config; use another "
                            "--out or delete that folder")
        accelerator.load_state(str(last))
        state = json.loads((last / STATE_FILE).read_text())
        accelerator.print(f"resuming {out} from step {state['step']}")
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        cfg.save_yaml(out / "config.yaml")

    def save_last() -> None:
        accelerator.wait_for_everyone()
        accelerator.save_state(str(last))
        if accelerator.is_main_process:
            cfg.save_yaml(last / "config.yaml")
            (last / STATE_FILE).write_text(json.dumps(state, indent=1))

    def validate() -> float:
        """Validation pass on the main process; returns its wall time (kept out of throughput)."""
        if not accelerator.is_main_process:
            return 0.0
        t = time.perf_counter()
        metrics = evaluate_motions(unwrapped, val_motions, geometry, timing=False, regions=["face"])
        unwrapped.train()
        err = metrics["vertex"]["face"]["mean_mm"]
        log({"step": state["step"], "val": metrics})
        tqdm.write(f"step {state['step']}: validation {summary_line(metrics)}")
        if state["best_vertex_mm"] is None or err < state["best_vertex_mm"]:
            state.update(best_vertex_mm=err, best_step=state["step"])
            unwrapped.save_pretrained(best)
            cfg.save_yaml(best / "config.yaml")
            (best / "metrics.json").write_text(json.dumps(
                {"step": state["step"], "split": "validation", **metrics}, indent=1))
        return time.perf_counter() - t

    def log(record: dict) -> None:
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    model.train()
    bar = tqdm(total=tc.steps, initial=state["step"], disable=not (progress and accelerator.is_main_process),
               desc="vq train", dynamic_ncols=True)
    frames_per_step = tc.batch_size * tc.window * accelerator.num_processes
    t_start, step_start, t_val = time.perf_counter(), state["step"], 0.0
    while state["step"] < tc.steps:
        data, mask = sample_batch(train_arrays, tc, state["step"], accelerator.process_index)
        x = torch.from_numpy(data).to(accelerator.device)
        m = torch.from_numpy(mask).to(accelerator.device)
        with accelerator.autocast():
            result = model(x, m)
        loss, logs = loss_fn(x, result["recon"], m, result["commitment"], unwrapped.denormalize)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        if tc.grad_clip:
            accelerator.clip_grad_norm_(model.parameters(), tc.grad_clip)
        optimizer.step()
        scheduler.step()
        state["step"] += 1
        bar.update(1)
        if state["step"] % 50 == 0 or state["step"] == tc.steps:
            elapsed = time.perf_counter() - t_start - t_val
            codes = result["codes"][..., 0]
            logs.update(step=state["step"], lr=scheduler.get_last_lr()[0],
                        frames_per_s=frames_per_step * (state["step"] - step_start) / elapsed,
                        batch_code_usage=len(torch.unique(codes[codes >= 0])) / cfg.model.codebook_size)
            bar.set_postfix({k: f"{logs[k]:.3g}" for k in ("loss", "vertex_mm", "frames_per_s")
                             if k in logs})
            if accelerator.is_main_process:
                log(logs)
        if state["step"] % tc.eval_every == 0 or state["step"] == tc.steps:
            t_val += validate()
        if state["step"] % tc.checkpoint_every == 0 or state["step"] == tc.steps:
            seconds = time.perf_counter() - t_start - t_val
            state["train_seconds"] += seconds
            state["validation_seconds"] += t_val
            state["train_frames_per_s"] = frames_per_step * (state["step"] - step_start) / max(
                seconds, 1e-9)
            save_last()
            t_start, step_start, t_val = time.perf_counter(), state["step"], 0.0
    bar.close()
    accelerator.wait_for_everyone()
    return best


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.vqvae.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_train_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(args), rig=args.rig, flame_model=args.flame_model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
