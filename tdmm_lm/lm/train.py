"""Train TDMM-LM with Accelerate: M2L description, M2L chat and L2M in one run, on CPU, one GPU,
several GPUs or DeepSpeed ZeRO — the launcher decides, never this file.

    tdmm-lm llm train --config configs/lm/tiny.yaml
    accelerate launch -m tdmm_lm.lm.train --config configs/lm/qwen3_0.6b_lora.yaml
    accelerate launch --config_file configs/accelerate/zero2.yaml -m tdmm_lm.lm.train --config ...
    ACCELERATE_USE_CPU=1 accelerate launch --config_file configs/accelerate/cpu_2proc.yaml \
        -m tdmm_lm.lm.train --config configs/lm/tiny.yaml          # CPU data parallel, world size 2

Run folder: ``config.yaml`` (resolved), ``base/`` (the config-built base, when no
``model.base_model``), ``last/`` (Accelerate state + trainer_state.json: rerunning the same
command resumes there), ``best/`` (a complete TDMM-LM run folder with the lowest validation loss
= M2L loss + L2M loss; ``TDMMLM.from_pretrained`` reads it, or the run folder itself) and
``log.jsonl``. Batches are a pure function of (seed, process, step).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from torch import nn

from tdmm_lm.errors import TdmmError
from tdmm_lm.lm.args import add_train_args, config_from_args
from tdmm_lm.lm.config import LMConfig
from tdmm_lm.vqvae.train import lr_factor   # the same warm-up + cosine schedule

STATE_FILE = "trainer_state.json"


class TrainModule(nn.Module):
    """The LM and (prefix mode) the prefix model as one module, so one DDP / DeepSpeed engine
    wraps both. ``forward`` returns the summed loss and its parts."""

    def __init__(self, lm: nn.Module, prefix: nn.Module | None = None) -> None:
        super().__init__()
        self.lm, self.prefix = lm, prefix

    def forward(self, batch: dict[str, torch.Tensor], cond=None, cond_mask=None, codes=None,
                codes_mask=None, inputs=None) -> dict[str, torch.Tensor]:
        lm_loss = self.lm(**batch).loss
        out = {"lm_loss": lm_loss, "loss": lm_loss}
        if self.prefix is not None:
            prefix_loss, acc = self.prefix.loss(cond, cond_mask, codes, codes_mask, inputs)
            out.update(prefix_loss=prefix_loss, prefix_acc=acc, loss=lm_loss + prefix_loss)
        return out


def make_accelerator(cfg: LMConfig):
    """An Accelerator for whatever ``accelerate launch`` set up. On CPU the process group must be
    gloo, and DeepSpeed needs the micro batch size (no dataloader goes through ``prepare``)."""
    from accelerate import Accelerator, InitProcessGroupKwargs

    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1 or \
        os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true"
    # a backend makes accelerate expect a process group, so only name one when launched
    handlers = [InitProcessGroupKwargs(backend="gloo")] if launched and not torch.cuda.is_available() else []
    accelerator = Accelerator(mixed_precision=cfg.train.mixed_precision, kwargs_handlers=handlers)
    plugin = accelerator.state.deepspeed_plugin
    if plugin is not None:
        ds = plugin.deepspeed_config
        ds["train_micro_batch_size_per_gpu"] = cfg.train.batch_size
        ds.setdefault("gradient_accumulation_steps", 1)
        if ds.get("gradient_accumulation_steps") == "auto":
            ds["gradient_accumulation_steps"] = 1
        ds["train_batch_size"] = cfg.train.batch_size * accelerator.num_processes * \
            ds["gradient_accumulation_steps"]
        if ds.get("gradient_clipping") == "auto":
            ds["gradient_clipping"] = cfg.train.grad_clip
    return accelerator


def load_motion_tokenizer(path: str):
    """The motion tokenizer folder (or a tokenizer run folder's ``best/``, or a hub repo id)."""
    from tdmm_lm.vqvae.tokenizer import load_tokenizer

    if not path:
        raise TdmmError("no motion tokenizer: set data.motion_tokenizer or pass --motion-tokenizer")
    return load_tokenizer(path).eval()


def _check_codes(clips, motion_tokenizer, where: str) -> None:
    top = max((max(c.codes) for c in clips if c.codes), default=-1)
    if top >= motion_tokenizer.vocab_size or any(len(c.codes) % motion_tokenizer.levels for c in clips):
        raise TdmmError(f"{where}: its `codes` were not written by this motion tokenizer "
                        f"({motion_tokenizer.vocab_size} codes, {motion_tokenizer.levels} levels); "
                        "re-run `tdmm-lm vq tokenize-dataset` with it")


def train(cfg: LMConfig, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best model."""
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm

    from tdmm_lm.data.schema import load_dataset_dict, require_splits
    from tdmm_lm.lm.batches import (code_batch, collate, corrupt_motion_targets, load_clips,
                                    sample_examples, step_rng)
    from tdmm_lm.lm.generate import TDMMLM
    from tdmm_lm.lm.model import (add_motion_vocab, count_parameters, load_base,
                                  prepare_for_training, resolve_base)
    from tdmm_lm.lm.prompts import template_texts
    from tdmm_lm.lm.scoring import score
    from tdmm_lm.nn.code_gpt import corrupt_codes

    tc, dc = cfg.train, cfg.data
    if not dc.dataset:
        raise TdmmError("no dataset: set data.dataset in the config or pass --dataset DIR")
    if tc.num_threads:
        torch.set_num_threads(tc.num_threads)
    accelerator = make_accelerator(cfg)
    set_seed(tc.seed)
    out = Path(tc.out)
    last, best = out / "last", out / "best"

    dd = load_dataset_dict(dc.dataset)
    require_splits(dd, dc.dataset)
    motion_tokenizer = load_motion_tokenizer(dc.motion_tokenizer)
    tps = motion_tokenizer.tokens_per_second
    train_clips = load_clips(dd["train"], tps)
    val_clips = load_clips(dd["validation"], tps, dc.max_val_samples)
    _check_codes(train_clips + val_clips, motion_tokenizer, dc.dataset)

    with accelerator.main_process_first():   # the main process builds the tiny base once
        base = resolve_base(cfg.model, (t for c in train_clips for t in c.texts + template_texts()),
                            out / "base", tc.seed)
    model, tokenizer = load_base(base, "float32")
    vocab = add_motion_vocab(model, tokenizer, motion_tokenizer, cfg.model.motion_init, tc.seed)
    model = prepare_for_training(model, vocab, cfg.model)
    prefix = features = None
    tasks = dict(dc.tasks)
    if cfg.l2m.mode == "prefix":
        from tdmm_lm.lm.prefix import (PrefixL2M, lm_features, lm_hidden_size,
                                       minilm_features)
        if cfg.l2m.text_features == "lm":
            features, dim = lm_features(model, tokenizer), lm_hidden_size(model)
        else:
            features, dim = minilm_features(cfg.l2m.text_features, accelerator.device)
        prefix = PrefixL2M.build(motion_tokenizer, cfg.l2m, dim, cfg.generation.max_seconds)
        tasks.pop("generate", None)   # the prefix model learns L2M; the LM learns M2L
        if not any(w > 0 for w in tasks.values()):
            raise TdmmError("prefix mode trains the LM on describe/chat: give one a weight > 0")
    module = TrainModule(model, prefix)
    trainable, total = count_parameters(module)
    accelerator.print(f"parameters: {trainable:,} trainable of {total:,}; "
                      f"{accelerator.num_processes} process(es), {accelerator.distributed_type}")

    groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": tc.lr}]
    if prefix is not None:
        groups.append({"params": list(prefix.parameters()), "lr": cfg.l2m.lr or tc.lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=tc.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, tc))
    wrapped, optimizer, scheduler = accelerator.prepare(module, optimizer, scheduler)
    unwrapped = accelerator.unwrap_model(wrapped)
    device = accelerator.device

    state = {"step": 0, "best_val_loss": None, "best_step": None, "train_seconds": 0.0,
             "validation_seconds": 0.0, "trainable_parameters": trainable,
             "total_parameters": total}
    if (last / STATE_FILE).is_file():
        saved = LMConfig.from_yaml(last / "config.yaml")
        if (saved.model, saved.l2m) != (cfg.model, cfg.l2m):
            raise TdmmError(f"{last}: holds a checkpoint of a different model/l2m config; use "
                            "another --out or delete that folder")
        accelerator.load_state(str(last))
        state = json.loads((last / STATE_FILE).read_text())
        accelerator.print(f"resuming {out} from step {state['step']}")
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        cfg.save_yaml(out / "config.yaml")

    def log(record: dict) -> None:
        if accelerator.is_main_process:
            with open(out / "log.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")

    def save_last() -> None:
        accelerator.wait_for_everyone()
        accelerator.save_state(str(last))
        if accelerator.is_main_process:
            cfg.save_yaml(last / "config.yaml")
            (last / STATE_FILE).write_text(json.dumps(state, indent=1))

    def validate() -> float:
        """Validation on every process (identical work: sharded weights need all of them);
        the main process logs and keeps ``best/``. Returns its wall time."""
        t = time.perf_counter()
        metrics = score(unwrapped.lm, tokenizer, vocab, val_clips, max_length=dc.max_length,
                        prefix=unwrapped.prefix, features=features)
        val_loss = metrics["m2l_loss"] + metrics["l2m_loss"]
        log({"step": state["step"], "val": metrics, "val_loss": val_loss})
        if accelerator.is_main_process:
            tqdm.write(f"step {state['step']}: validation M2L loss {metrics['m2l_loss']:.3f}, "
                       f"L2M loss {metrics['l2m_loss']:.3f}, L2M token accuracy "
                       f"{metrics['l2m_token_accuracy']:.3f}")
        if state["best_val_loss"] is None or val_loss < state["best_val_loss"]:
            state.update(best_val_loss=val_loss, best_step=state["step"], best_metrics=metrics)
            full = accelerator.get_state_dict(wrapped)   # collective under ZeRO-3
            if accelerator.is_main_process:
                lm_state = {k[3:]: v for k, v in full.items() if k.startswith("lm.")}
                prefix_state = {k[7:]: v for k, v in full.items() if k.startswith("prefix.")}
                TDMMLM(unwrapped.lm, tokenizer, vocab, motion_tokenizer, cfg, unwrapped.prefix,
                       base_folder=None if cfg.model.base_model else base
                       ).save_pretrained(best, state_dict=lm_state, prefix_state=prefix_state or None)
                (best / "metrics.json").write_text(json.dumps(
                    {"step": state["step"], "split": "validation", **metrics}, indent=1))
        return time.perf_counter() - t

    wrapped.train()
    bar = tqdm(total=tc.steps, initial=state["step"], desc="llm train", dynamic_ncols=True,
               disable=not (progress and accelerator.is_main_process))
    t_start, t_val, tokens = time.perf_counter(), 0.0, 0
    t_run = time.perf_counter()
    lm_tasks = tasks if prefix is not None else dict(dc.tasks)
    while state["step"] < tc.steps:
        rng = step_rng(tc.seed, accelerator.process_index, state["step"])
        examples = sample_examples(train_clips, vocab, lm_tasks, tc.batch_size, rng, dc.duration_prob)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        batch = collate(tokenizer, examples, dc.max_length)
        batch["input_ids"] = corrupt_motion_targets(batch, vocab, cfg.l2m.pkeep, gen)
        batch = {k: v.to(device) for k, v in batch.items()}
        extra = {}
        if prefix is not None:
            conds = sample_examples(train_clips, vocab, {"condition": 1.0}, tc.batch_size, rng,
                                    dc.duration_prob)
            codes, codes_mask = code_batch([e.codes for e in conds], prefix.max_tokens)
            inputs = corrupt_codes(codes, codes_mask, pkeep=cfg.l2m.pkeep, num_codes=vocab.num_codes,
                                   levels=vocab.levels, generator=gen)
            cond, cond_mask = features([e.target for e in conds])
            extra = dict(cond=cond.to(device), cond_mask=cond_mask.to(device),
                         codes=codes.to(device), codes_mask=codes_mask.to(device),
                         inputs=inputs.to(device))
        with accelerator.autocast():
            result = wrapped(batch, **extra)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(result["loss"])
        if tc.grad_clip and accelerator.state.deepspeed_plugin is None:
            accelerator.clip_grad_norm_(wrapped.parameters(), tc.grad_clip)
        optimizer.step()
        scheduler.step()
        state["step"] += 1
        tokens += int(batch["attention_mask"].sum()) * accelerator.num_processes
        bar.update(1)
        if state["step"] % 25 == 0 or state["step"] == tc.steps:
            elapsed = time.perf_counter() - t_start - t_val
            logs = {k: v.item() for k, v in result.items()}
            logs.update(step=state["step"], lr=scheduler.get_last_lr()[0],
                        tokens_per_s=tokens / max(elapsed, 1e-9),
                        load_average_1m=os.getloadavg()[0])   # other work slows a shared machine
            bar.set_postfix({k: f"{logs[k]:.3g}" for k in ("loss", "prefix_loss", "tokens_per_s")
                             if k in logs})
            log(logs)
        stop = _out_of_time(accelerator, t_run, tc.max_minutes, state["step"])
        done = stop or state["step"] == tc.steps
        if state["step"] % tc.eval_every == 0 or done:
            t_val += validate()
        if state["step"] % tc.checkpoint_every == 0 or done:
            seconds = time.perf_counter() - t_start - t_val
            state["train_seconds"] += seconds
            state["validation_seconds"] += t_val
            state["train_tokens_per_s"] = tokens / max(seconds, 1e-9)
            state["world_size"] = accelerator.num_processes
            state["distributed_type"] = str(accelerator.distributed_type)
            save_last()
            t_start, t_val, tokens = time.perf_counter(), 0.0, 0
        if stop:
            accelerator.print(f"stopping at step {state['step']}: train.max_minutes reached")
            break
    bar.close()
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        write_root_marker(out)
    return best


def write_root_marker(out: Path) -> None:
    """``generator.json`` at the run root too, so ``load_generator(run)`` works on the root."""
    from tdmm_lm.generators import write_kind
    if (out / "best").is_dir():
        write_kind(out, "tdmm-lm")


def _out_of_time(accelerator, t_run: float, max_minutes: float, step: int) -> bool:
    """Whether ``max_minutes`` has passed, decided by the main process for everyone."""
    if not max_minutes or step % 10:
        return False
    flag = torch.tensor([float(time.perf_counter() - t_run > 60 * max_minutes)],
                        device=accelerator.device)
    return bool(accelerator.reduce(flag, reduction="sum").item() > 0)


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.lm.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_train_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(args), progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
