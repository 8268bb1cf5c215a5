"""The one training loop: every trainer (tokenizer, LM, baselines, extractor) is a ``Task`` run here.

What a task gets for free: the ``Accelerator`` (CPU, one or several GPUs, DeepSpeed ZeRO through
``configs/accelerate/*.yaml``; gloo on CPU), seeding with a per-step RNG (batches and torch's
randomness are a pure function of (seed, process, step, micro-batch), so a resumed run continues
the same curve), thread pinning, gradient accumulation (``train.grad_accum``), mixed precision,
gradient clipping, the warm-up + cosine schedule, an optional weight EMA, the time limit
(``train.max_minutes``: loop wall time summed across resumes), periodic validation (on every
process when the task asks: ZeRO-3 shards weights), ``best/`` by the task's metric, ``last/``
with the full training state (model, optimizer, scheduler, EMA, RNG, step) through
``accelerator.save_state``, a progress bar, ``log.jsonl`` and experiment trackers
(``train.report_to``).

Run folder: ``config.yaml`` (resolved), ``last/`` (rerunning the same command resumes there),
``best/`` (written by ``task.save``), ``log.jsonl`` and, with a tracker, its files
(``tensorboard --logdir RUN``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch
from torch import nn

from tdmm_lm.errors import TdmmError
from tdmm_lm.training.config import TrainSection
from tdmm_lm.training.schedule import lr_factor

STATE_FILE = "trainer_state.json"
# sections whose change does not make a checkpoint another model (a resumed run may move data,
# steps, budgets, decoding defaults)
RESUMABLE_SECTIONS = ("train", "data", "generation")


class Task(Protocol):
    """What a trainer defines; the runner does the rest.

    ``model``: the module to optimise (all trainable parameters live in it).
    ``metric``/``higher_is_better``: the validation number that picks ``best/``.
    ``validate_on_all_ranks``: run ``validate`` on every process (sharded weights need it).
    """

    name: str
    model: nn.Module
    metric: str
    higher_is_better: bool
    validate_on_all_ranks: bool

    def param_groups(self, tc: TrainSection) -> list[dict]:
        """Optimizer parameter groups (each may carry its own ``lr``)."""

    def batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> Any:
        """One micro-batch drawn with ``rng``."""

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """``model`` is the wrapped module (call it for the forward pass); returns (loss, logs)."""

    def validate(self, model: nn.Module) -> dict[str, Any]:
        """Metrics of the unwrapped (or EMA) model; must contain ``metric``."""

    def save(self, model: nn.Module, folder: Path, metrics: dict, state_dict: dict | None) -> None:
        """Write the deliverable model to ``folder`` (``state_dict``: gathered full weights)."""


def owned_copy(model: nn.Module, state_dict: dict) -> nn.Module:
    """A copy of ``model`` holding the gathered ``state_dict`` in memory of its own: DeepSpeed keeps
    parameters as views into flat buffers (ZeRO-1/2) or as empty partitions (ZeRO-3), which
    safetensors refuses to save and a task's ``save_pretrained`` would not see whole."""
    import copy
    twin = copy.deepcopy(model)
    for name, tensor in [*twin.named_parameters(), *twin.named_buffers()]:
        if name in state_dict:          # non-persistent buffers are not saved anyway
            tensor.data = state_dict[name].detach().clone()
    return twin


def make_accelerator(tc: TrainSection, out: Path):
    """An Accelerator for whatever ``accelerate launch`` set up. On CPU the process group must be
    gloo (FIELD_NOTES), and DeepSpeed needs the micro batch and accumulation filled in because no
    dataloader goes through ``prepare``."""
    from accelerate import Accelerator, InitProcessGroupKwargs

    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1 or \
        os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true"
    # naming a backend makes accelerate expect a process group: only when launched
    handlers = [InitProcessGroupKwargs(backend="gloo")] if launched and not torch.cuda.is_available() else []
    trackers = None if tc.report_to == "none" else tc.report_to
    accelerator = Accelerator(mixed_precision=tc.mixed_precision, kwargs_handlers=handlers,
                              gradient_accumulation_steps=tc.grad_accum, log_with=trackers,
                              project_dir=str(out))
    plugin = accelerator.state.deepspeed_plugin
    if plugin is not None:
        ds = plugin.deepspeed_config
        ds["train_micro_batch_size_per_gpu"] = tc.batch_size
        ds["gradient_accumulation_steps"] = tc.grad_accum
        ds["train_batch_size"] = tc.batch_size * accelerator.num_processes * tc.grad_accum
        if ds.get("gradient_clipping") == "auto":
            ds["gradient_clipping"] = tc.grad_clip
    return accelerator


def micro_rng(seed: int, process: int, step: int, micro: int) -> np.random.Generator:
    """The RNG of one micro-batch. Micro-batch 0 draws what an un-accumulated run draws."""
    return np.random.default_rng([seed, process, step] + ([micro] if micro else []))


def torch_seed(seed: int, process: int, step: int, micro: int) -> int:
    """Seed of torch's global RNG for one micro-batch (dropout, diffusion noise), from a stream
    apart from ``micro_rng`` so tasks draw their batches undisturbed."""
    return int(np.random.default_rng([seed, process, step, micro, 1]).integers(2**62))


def train(config, build_task: Callable[[Any], Task], *, progress: bool = True) -> Path:
    """Train (or resume) in ``config.train.out``; returns the ``best/`` folder.

    ``config``: a config dataclass with a ``train`` section (``TrainSection``) and ``save_yaml``.
    ``build_task(accelerator)`` builds the task after threads are pinned and the seed is set, so
    model initialisation is reproducible.
    """
    from accelerate.utils import DistributedType, set_seed
    from tqdm.auto import tqdm

    tc: TrainSection = config.train
    if tc.num_threads:
        torch.set_num_threads(tc.num_threads)
    out = Path(tc.out)
    last, best = out / "last", out / "best"
    accelerator = make_accelerator(tc, out)
    set_seed(tc.seed)
    task = build_task(accelerator)
    main = accelerator.is_main_process
    # ZeRO-3 shards the weights: every process must take part in validation and gathering
    all_ranks = task.validate_on_all_ranks or _zero_stage(accelerator) == 3

    optimizer = torch.optim.AdamW(task.param_groups(tc), lr=tc.lr, weight_decay=tc.weight_decay)
    # stepped once per update by us, not by accelerate (which steps it once per process)
    clock = {"fraction": 0.0}   # share of train.max_minutes used, agreed by all processes
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, tc, clock["fraction"]))
    model, optimizer = accelerator.prepare(task.model, optimizer)
    accelerator.register_for_checkpointing(scheduler)
    unwrapped = accelerator.unwrap_model(model)
    ema = None
    if tc.ema_decay:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        ema = AveragedModel(unwrapped, multi_avg_fn=get_ema_multi_avg_fn(tc.ema_decay), use_buffers=True)
        accelerator.register_for_checkpointing(ema)
    final = ema.module if ema is not None else unwrapped   # the weights validated and saved
    deepspeed = accelerator.distributed_type == DistributedType.DEEPSPEED

    state = {"step": 0, "best_metric": None, "best_step": None, "train_seconds": 0.0,
             "validation_seconds": 0.0}
    if (last / STATE_FILE).is_file():
        _check_resumable(config, last)
        accelerator.load_state(str(last))
        state = json.loads((last / STATE_FILE).read_text())
        accelerator.print(f"resuming {out} from step {state['step']}")
    if main:
        out.mkdir(parents=True, exist_ok=True)
        config.save_yaml(out / "config.yaml")
    if tc.report_to != "none":
        accelerator.init_trackers(task.name, config=_flat(asdict(config)))

    def log(record: dict) -> None:
        if main:
            with open(out / "log.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
        scalars = {k: v for k, v in _flat(record).items() if isinstance(v, (int, float))
                   and not isinstance(v, bool) and k != "step"}
        if tc.report_to != "none" and scalars:
            accelerator.log(scalars, step=record["step"])

    def validate() -> float:
        """One validation pass; keeps ``best/``. Returns its wall time."""
        if not (main or all_ranks):
            return 0.0
        t = time.perf_counter()
        metrics = task.validate(final)
        final.train()
        log({"step": state["step"], "val": metrics})
        value = metrics[task.metric]
        # a tie keeps the later, longer-trained model (small validation sets tie often)
        better = state["best_metric"] is None or (
            value >= state["best_metric"] if task.higher_is_better else value <= state["best_metric"])
        if main:
            tqdm.write(f"step {state['step']}: validation {task.metric} {value:.4g}"
                       + (" (best)" if better else ""))
        if better:
            state.update(best_metric=value, best_step=state["step"])
            # gathering is a collective under ZeRO-3; plain modules give their own weights
            full = accelerator.get_state_dict(model) if ema is None else final.state_dict()
            if main:
                deliverable = final if ema is not None or not deepspeed else owned_copy(final, full)
                task.save(deliverable, best, {"step": state["step"], "split": "validation", **metrics},
                          full)
        return time.perf_counter() - t

    def save_last() -> None:
        accelerator.wait_for_everyone()
        staging = out / "last.partial"
        if main and staging.exists():
            shutil.rmtree(staging)
        accelerator.save_state(str(staging))
        accelerator.wait_for_everyone()
        if main:   # swap in only a complete checkpoint: a kill mid-save keeps the previous one
            config.save_yaml(staging / "config.yaml")
            (staging / STATE_FILE).write_text(json.dumps(state, indent=1))
            if last.exists():
                shutil.rmtree(last)
            staging.rename(last)
        accelerator.wait_for_everyone()

    model.train()
    bar = tqdm(total=tc.steps, initial=state["step"], desc=f"{task.name} train", dynamic_ncols=True,
               disable=not (progress and main))
    examples_per_update = tc.batch_size * tc.grad_accum * accelerator.num_processes
    t_mark, step_mark = time.perf_counter(), state["step"]
    while state["step"] < tc.steps:
        step = state["step"]
        for micro in range(tc.grad_accum):
            rng = micro_rng(tc.seed, accelerator.process_index, step, micro)
            torch.manual_seed(torch_seed(tc.seed, accelerator.process_index, step, micro))
            batch = task.batch(rng, tc.batch_size, accelerator.device)
            with accelerator.accumulate(model), accelerator.autocast():
                loss, logs = task.loss(model, batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients and tc.grad_clip and \
                        accelerator.state.deepspeed_plugin is None:
                    accelerator.clip_grad_norm_(model.parameters(), tc.grad_clip)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        now = time.perf_counter()
        loop_seconds = state["train_seconds"] + now - t_mark
        fraction = _agreed_max(accelerator, loop_seconds / (60 * tc.max_minutes)) if tc.max_minutes else 0.0
        out_of_time = fraction > 1
        if not out_of_time:   # a run resumed past its time limit starts from the rate it stopped at
            clock["fraction"] = fraction
        scheduler.step()
        if ema is not None:
            ema.update_parameters(unwrapped)
        state["step"] += 1
        bar.update(1)
        at_end = state["step"] == tc.steps or out_of_time
        if state["step"] % 25 == 0 or at_end:
            logs = {"step": state["step"], "loss": float(loss.detach()), **logs,
                    "lr": scheduler.get_last_lr()[0],
                    "examples_per_s": examples_per_update * (state["step"] - step_mark) / max(now - t_mark, 1e-9),
                    "load_average_1m": os.getloadavg()[0]}   # other work slows a shared machine
            bar.set_postfix({k: f"{logs[k]:.3g}" for k in ("loss", "examples_per_s")})
            log(logs)
        if state["step"] % tc.eval_every == 0 or at_end:
            state["validation_seconds"] += validate()
        if state["step"] % tc.checkpoint_every == 0 or at_end:
            now = time.perf_counter()
            state["train_seconds"] += now - t_mark
            state["world_size"] = accelerator.num_processes
            state["distributed_type"] = str(accelerator.distributed_type)
            t_mark, step_mark = now, state["step"]
            save_last()
        if out_of_time:
            accelerator.print(f"stopping at step {state['step']}: train.max_minutes "
                              f"({tc.max_minutes:g}) reached")
            break
    bar.close()
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return best


def _agreed_max(accelerator, value: float) -> float:
    """The largest ``value`` over processes: all of them then use one learning rate and stop
    at the same step (one that stopped early would hang the next gradient all-reduce)."""
    if accelerator.num_processes == 1:
        return value
    t = torch.tensor([float(value)], device=accelerator.device)
    return float(accelerator.reduce(t, reduction="max").item())


def _zero_stage(accelerator) -> int:
    plugin = accelerator.state.deepspeed_plugin
    return int(plugin.zero_stage) if plugin is not None else 0


def _check_resumable(config, last: Path) -> None:
    saved = type(config).from_yaml(last / "config.yaml")
    differs = [k for k in asdict(config) if k not in RESUMABLE_SECTIONS
               and getattr(saved, k) != getattr(config, k)]
    if differs:
        raise TdmmError(f"{last}: holds a checkpoint of a different config ({', '.join(differs)} "
                        "changed); use another --out or delete that folder")


def _flat(d: dict, prefix: str = "") -> dict:
    """``{"val": {"loss": 1}}`` -> ``{"val/loss": 1}`` (tracker scalars and hparams)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
    return out


@contextlib.contextmanager
def no_grad_eval(module: nn.Module):
    """``module`` in eval mode without gradients, restored afterwards."""
    was = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        module.train(was)
