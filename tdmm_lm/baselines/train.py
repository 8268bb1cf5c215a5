"""Train MDM or T2M-GPT with Accelerate: one loop for both, on CPU, one GPU or several.

    tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml
    tdmm-lm baseline train t2m-gpt --config configs/baselines/t2m_gpt_tiny.yaml
    accelerate launch -m tdmm_lm.baselines.train --config configs/baselines/mdm_paper.yaml --dataset DATA

Run folder: ``config.yaml`` (resolved), ``generator.json`` (``tdmm-lm generate --model RUN``
reads ``RUN/best``), ``last/`` (Accelerate state + trainer_state.json + config.yaml: rerunning
the same command resumes there), ``best/`` (the model with the lowest validation loss:
``save_pretrained`` format + generator.json + config.yaml + metrics.json) and ``log.jsonl``.
With ``train.ema_decay`` the validated and saved weights are the EMA weights. The prompts'
sentence vectors are computed once and cached (``text.default_cache_dir()``).

The loop only calls ``model(batch) -> (loss, logs)``; each model's ``training.py`` supplies the
model, the examples and the collate function (``data.TrainingSetup``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from tdmm_lm.baselines.args import add_train_args, config_from_args
from tdmm_lm.baselines.config import BaselineConfig
from tdmm_lm.baselines.data import TrainingSetup
from tdmm_lm.baselines.generator import save_checkpoint
from tdmm_lm.errors import TdmmError
from tdmm_lm.vqvae.train import lr_factor

STATE_FILE = "trainer_state.json"
SETUPS = {"mdm": "tdmm_lm.baselines.mdm.training", "t2m-gpt": "tdmm_lm.baselines.t2m_gpt.training"}
LOG_EVERY = 50
VALIDATION_SEED = 12345  # the same crops, texts and noise every pass: comparable losses


def build_setup(cfg: BaselineConfig, dd, bank) -> TrainingSetup:
    return importlib.import_module(SETUPS[cfg.kind]).setup(cfg, dd, bank)


def load_data(cfg: BaselineConfig):
    from tdmm_lm.data.schema import load_dataset_dict
    tc = cfg.train
    if not tc.dataset:
        raise TdmmError("no dataset: set train.dataset in the config or pass --dataset DIR")
    dd = load_dataset_dict(tc.dataset)
    for split in ("train", "validation"):
        if split not in dd or len(dd[split]) == 0:
            raise TdmmError(f"{tc.dataset}: needs a non-empty {split!r} split")
    return dd


def text_bank(cfg: BaselineConfig, dd, device):
    from tdmm_lm.baselines.data import split_texts
    from tdmm_lm.baselines.text import TextBank, default_cache_dir
    texts = [t for split in ("train", "validation") for ts in split_texts(dd[split]) for t in ts]
    return TextBank.build(cfg.text_encoder, texts, device=device, cache_dir=default_cache_dir())


@torch.no_grad()
def validation_loss(model, setup: TrainingSetup, batch_size: int, seed: int, device) -> dict:
    """Mean logs over the validation examples (fixed crops, texts and noise), eval mode."""
    was_training = model.training
    model.eval()
    rng = np.random.default_rng([seed, VALIDATION_SEED])
    generator = torch.Generator().manual_seed(seed + VALIDATION_SEED)
    totals: dict[str, float] = {}
    for i in range(0, len(setup.validation), batch_size):
        chunk = setup.validation[i:i + batch_size]
        batch = {k: v.to(device) for k, v in setup.collate(chunk, rng).items()}
        _, logs = model(batch, generator=generator)
        for k, v in logs.items():
            totals[k] = totals.get(k, 0.0) + v * len(chunk)
    model.train(was_training)
    return {k: v / len(setup.validation) for k, v in totals.items()}


def train(cfg: BaselineConfig, *, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best model."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    from tqdm.auto import tqdm

    from tdmm_lm.generators import write_kind

    tc = cfg.train
    if tc.num_threads:
        torch.set_num_threads(tc.num_threads)
    accelerator = Accelerator(mixed_precision=tc.mixed_precision)
    set_seed(tc.seed)
    out = Path(tc.out)
    last, best = out / "last", out / "best"
    dd = load_data(cfg)
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
    with accelerator.main_process_first():  # the main process encodes and caches the texts
        bank = text_bank(cfg, dd, accelerator.device)
    setup = build_setup(cfg, dd, bank)
    trainable = [p for p in setup.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=tc.lr, weight_decay=tc.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, tc))
    model, optimizer, scheduler = accelerator.prepare(setup.model, optimizer, scheduler)
    unwrapped = accelerator.unwrap_model(model)
    ema = None
    if tc.ema_decay:
        ema = AveragedModel(unwrapped, multi_avg_fn=get_ema_multi_avg_fn(tc.ema_decay), use_buffers=True)
        accelerator.register_for_checkpointing(ema)
    final = lambda: ema.module if ema is not None else unwrapped  # noqa: E731  (weights to validate/save)

    state = {"step": 0, "best_val_loss": None, "best_step": None, "train_seconds": 0.0,
             "validation_seconds": 0.0}
    if (last / STATE_FILE).is_file():
        saved = BaselineConfig.from_yaml(last / "config.yaml")
        if (saved.kind, saved.model, saved.text_encoder) != (cfg.kind, cfg.model, cfg.text_encoder):
            raise TdmmError(f"{last}: holds a checkpoint of a different model config; use another "
                            "--out or delete that folder")
        accelerator.load_state(str(last))
        state = json.loads((last / STATE_FILE).read_text())
        accelerator.print(f"resuming {out} from step {state['step']}")
    if accelerator.is_main_process:
        cfg.save_yaml(out / "config.yaml")
        write_kind(out, cfg.kind)  # the run folder itself loads too (its best/)

    def log(record: dict) -> None:
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    def validate() -> float:
        """Validation on the main process (best/ on improvement); returns its wall time."""
        if not accelerator.is_main_process:
            return 0.0
        t = time.perf_counter()
        metrics = validation_loss(final(), setup, tc.batch_size, tc.seed, accelerator.device)
        log({"step": state["step"], "val": metrics})
        tqdm.write(f"step {state['step']}: validation " +
                   ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        if state["best_val_loss"] is None or metrics["loss"] < state["best_val_loss"]:
            state.update(best_val_loss=metrics["loss"], best_step=state["step"])
            save_checkpoint(final(), best, cfg.kind, run_config=cfg,
                            metrics={"step": state["step"], "split": "validation", **metrics})
        return time.perf_counter() - t

    def save_last() -> None:
        accelerator.wait_for_everyone()
        accelerator.save_state(str(last))
        if accelerator.is_main_process:
            cfg.save_yaml(last / "config.yaml")
            (last / STATE_FILE).write_text(json.dumps(state, indent=1))

    model.train()
    bar = tqdm(total=tc.steps, initial=state["step"], desc=f"{cfg.kind} train", dynamic_ncols=True,
               disable=not (progress and accelerator.is_main_process))
    t_start, t_val, step_start = time.perf_counter(), 0.0, state["step"]
    limit = tc.time_limit_minutes * 60 or float("inf")
    while state["step"] < tc.steps:
        # batches are a pure function of (seed, process, step): resuming draws the same ones
        rng = np.random.default_rng([tc.seed, accelerator.process_index, state["step"]])
        picks = rng.integers(0, len(setup.train), tc.batch_size)
        batch = setup.collate([setup.train[i] for i in picks], rng)
        batch = {k: v.to(accelerator.device) for k, v in batch.items()}
        with accelerator.autocast():
            loss, logs = model(batch)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        if tc.grad_clip:
            accelerator.clip_grad_norm_(model.parameters(), tc.grad_clip)
        optimizer.step()
        scheduler.step()
        if ema is not None:
            ema.update_parameters(unwrapped)
        state["step"] += 1
        bar.update(1)
        trained = state["train_seconds"] + time.perf_counter() - t_start - t_val
        out_of_time = _out_of_time(accelerator, trained, limit)
        if state["step"] % LOG_EVERY == 0 or state["step"] == tc.steps or out_of_time:
            logs.update(step=state["step"], lr=scheduler.get_last_lr()[0],
                        steps_per_s=(state["step"] - step_start) / max(trained - state["train_seconds"], 1e-9))
            bar.set_postfix({k: f"{logs[k]:.3g}" for k in ("loss", "accuracy") if k in logs})
            if accelerator.is_main_process:
                log(logs)
        at_end = state["step"] == tc.steps or out_of_time
        if state["step"] % tc.eval_every == 0 or at_end:
            t_val += validate()
        if state["step"] % tc.checkpoint_every == 0 or at_end:
            state["train_seconds"] += time.perf_counter() - t_start - t_val
            state["validation_seconds"] += t_val
            save_last()
            t_start, t_val, step_start = time.perf_counter(), 0.0, state["step"]
        if out_of_time:
            accelerator.print(f"stopping at step {state['step']}: train.time_limit_minutes "
                              f"({tc.time_limit_minutes:g}) reached")
            break
    bar.close()
    accelerator.wait_for_everyone()
    return best


def _out_of_time(accelerator, trained: float, limit: float) -> bool:
    """Whether any process has trained ``limit`` seconds, agreed by all (processes stopping at
    different steps would hang in the next gradient all-reduce)."""
    if limit == float("inf"):
        return False
    flag = torch.tensor([float(trained >= limit)], device=accelerator.device)
    return bool(accelerator.reduce(flag, reduction="sum").item() > 0)


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.baselines.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_train_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(args), progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
