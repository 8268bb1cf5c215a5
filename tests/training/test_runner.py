"""The shared runner: gradient accumulation, exact resume for every trainer, trackers, and the
one config system's ``--set`` overrides and errors."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from tdmm_lm.errors import TdmmError
from tdmm_lm.training import runner
from tdmm_lm.training.args import add_train_args, config_from_args
from tdmm_lm.training.config import TrainSection
from tdmm_lm.yaml_config import ConfigMixin

CONSTANT_LR = {"warmup_steps": 0, "min_lr_ratio": 1.0}   # the schedule ignores the planned steps


@dataclass
class ToyConfig(ConfigMixin):
    train: TrainSection = field(default_factory=TrainSection)


class QueueTask:
    """Linear regression whose micro-batches come from a fixed queue (so two runs can be fed
    exactly the same examples in different batch shapes)."""

    name, metric, higher_is_better, validate_on_all_ranks = "toy", "loss", False, False

    def __init__(self, queue: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        torch.manual_seed(0)
        self.model, self.queue = nn.Linear(3, 2), list(queue)

    def param_groups(self, tc):
        return [{"params": list(self.model.parameters())}]

    def batch(self, rng, batch_size, device):
        return self.queue.pop(0)

    def loss(self, model, batch):
        x, y = batch
        return nn.functional.mse_loss(model(x), y), {}

    def validate(self, model):
        return {"loss": 0.0}

    def save(self, model, folder, metrics, state_dict):
        folder.mkdir(parents=True, exist_ok=True)


def _first_update(tmp_path: Path, name: str, queue, batch_size: int, grad_accum: int):
    """Parameters after one update and the gradient the optimizer stepped with."""
    seen = []

    def capture(optimizer, args, kwargs):
        seen.append([p.grad.clone() for g in optimizer.param_groups for p in g["params"]])

    cfg = ToyConfig(train=TrainSection(out=str(tmp_path / name), steps=1, batch_size=batch_size,
                                       grad_accum=grad_accum, lr=0.1, grad_clip=0.0, **CONSTANT_LR))
    holder = {}

    def build(acc):
        holder["task"] = QueueTask(queue)
        return holder["task"]

    handle = register_optimizer_step_pre_hook(capture)
    try:
        runner.train(cfg, build, progress=False)
    finally:
        handle.remove()
    assert len(seen) == 1, "one optimizer step per update, whatever the accumulation"
    return [p.detach().clone() for p in holder["task"].model.parameters()], seen[0]


def test_accumulating_4_micro_batches_equals_one_batch_4x(tmp_path):
    g = torch.Generator().manual_seed(1)
    micro = [(torch.randn(5, 3, generator=g), torch.randn(5, 2, generator=g)) for _ in range(4)]
    whole = (torch.cat([m[0] for m in micro]), torch.cat([m[1] for m in micro]))
    params_a, grads_a = _first_update(tmp_path, "accum", micro, batch_size=5, grad_accum=4)
    params_b, grads_b = _first_update(tmp_path, "whole", [whole], batch_size=20, grad_accum=1)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)   # the mean over 4B, not a sum
    for a, b in zip(params_a, params_b):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


# ---- exact resume, for every trainer ----------------------------------------------------------

def _vq(fixture, out, steps):
    from tdmm_lm.vqvae.config import VQConfig
    from tdmm_lm.vqvae.train import train
    cfg = VQConfig.from_dict({
        "model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8},
        "loss": {"vertex_subset": 32},
        "data": {"dataset": str(fixture.dataset), "window": 16, "max_val_samples": 2},
        "train": {"out": str(out), "steps": steps, "batch_size": 4, "eval_every": 2,
                  "checkpoint_every": 2, **CONSTANT_LR}})
    train(cfg, progress=False)


def _lm(fixture, out, steps):
    from tdmm_lm.lm.train import train
    from tests.lm.helpers import tiny_lm_config
    train(tiny_lm_config(fixture, out, train={"steps": steps, "eval_every": 2, "checkpoint_every": 2,
                                              **CONSTANT_LR}), progress=False)


def _baseline(kind):
    def run(fixture, out, steps):
        from tdmm_lm.baselines.train import train
        from tests.baselines.conftest import tiny_config
        train(tiny_config(kind, fixture, out, steps=steps, **CONSTANT_LR), progress=False)
    return run


def _extractor(fixture, out, steps):
    from tdmm_lm.benchmark.extractor import ExtractorConfig, train_extractor
    cfg = ExtractorConfig.from_dict({
        "model": {"text_encoder": "learned", "word_dim": 8, "vocab_buckets": 64, "text_hidden": 8,
                  "movement_dim": 8, "motion_hidden": 8, "embed_dim": 8, "max_frames": 60},
        "data": {"dataset": str(fixture.dataset)},
        "train": {"out": str(out), "steps": steps, "batch_size": 4, "eval_every": 2,
                  "checkpoint_every": 2, **CONSTANT_LR}})
    train_extractor(cfg, progress=False)


TRAINERS = {"tokenizer": _vq, "lm": _lm, "mdm": _baseline("mdm"), "t2m-gpt": _baseline("t2m-gpt"),
            "extractor": _extractor}


def _last_state(run: Path) -> tuple[dict, dict, int]:
    from safetensors.torch import load_file
    weights = load_file(str(run / "last" / "model.safetensors"))
    optimizer = torch.load(run / "last" / "optimizer.bin", weights_only=True)
    step = json.loads((run / "last" / runner.STATE_FILE).read_text())["step"]
    return weights, optimizer, step


def _assert_same_tree(a, b, where=""):
    if isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6, msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same_tree(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.slow
@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_stopped_and_resumed_run_equals_an_uninterrupted_one(trainer, tiny_tokenized, tmp_path):
    """N = 2 steps, then the same command with steps = 2N resumes from last/; the weights and
    the optimizer state equal those of a 2N-step run."""
    run = TRAINERS[trainer]
    run(tiny_tokenized, tmp_path / "resumed", 2)
    run(tiny_tokenized, tmp_path / "resumed", 4)
    run(tiny_tokenized, tmp_path / "straight", 4)
    wa, oa, sa = _last_state(tmp_path / "resumed")
    wb, ob, sb = _last_state(tmp_path / "straight")
    assert sa == sb == 4
    _assert_same_tree(wa, wb, "weights")
    _assert_same_tree(oa, ob, "optimizer")
    log = [json.loads(line) for line in (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val" in r] == [2, 4]    # resumed, not restarted


def test_max_minutes_stops_with_a_checkpoint_and_counts_across_resumes(tiny_tokenized, tmp_path):
    from tdmm_lm.vqvae.config import VQConfig
    from tdmm_lm.vqvae.train import train
    raw = {"model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8},
           "loss": {"vertex_subset": 32},
           "data": {"dataset": str(tiny_tokenized.dataset), "window": 16, "max_val_samples": 2},
           "train": {"out": str(tmp_path / "run"), "steps": 50, "batch_size": 4, "eval_every": 50,
                     "checkpoint_every": 50, "max_minutes": 1e-9}}
    train(VQConfig.from_dict(raw), progress=False)
    state = json.loads((tmp_path / "run" / "last" / runner.STATE_FILE).read_text())
    assert state["step"] == 1 and (tmp_path / "run" / "best" / "model.safetensors").is_file()
    train(VQConfig.from_dict(raw), progress=False)   # the budget is already spent: one more step
    assert json.loads((tmp_path / "run" / "last" / runner.STATE_FILE).read_text())["step"] == 2


def test_tensorboard_tracker_writes_the_logged_scalars(tiny_tokenized, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from tdmm_lm.vqvae.config import VQConfig
    from tdmm_lm.vqvae.train import train
    train(VQConfig.from_dict({
        "model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8},
        "loss": {"vertex_subset": 32},
        "data": {"dataset": str(tiny_tokenized.dataset), "window": 16, "max_val_samples": 2},
        "train": {"out": str(tmp_path / "run"), "steps": 4, "batch_size": 4, "eval_every": 2,
                  "checkpoint_every": 4, "report_to": "tensorboard"}}), progress=False)
    events = list((tmp_path / "run").rglob("events.out.tfevents.*"))
    assert events, "no tensorboard event file"
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"loss", "lr", "val/vertex_mm"} <= tags, tags
    assert [e.step for e in acc.Scalars("val/vertex_mm")] == [2, 4]
    logged = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    last_loss = [r["loss"] for r in logged if "loss" in r and "val" not in r][-1]
    assert acc.Scalars("loss")[-1].value == pytest.approx(last_loss, rel=1e-5)


# ---- one config system ------------------------------------------------------------------------

def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_train_args(parser, "configs/", motion_tokenizer=True)
    return parser.parse_args(list(argv))


@pytest.fixture
def vq_yaml(tmp_path) -> Path:
    path = tmp_path / "vq.yaml"
    path.write_text(yaml.safe_dump({"model": {"width": 16}, "train": {"steps": 10, "lr": 1e-3}}))
    return path


def test_set_overrides_reach_the_config(vq_yaml):
    from tdmm_lm.vqvae.config import VQConfig
    cfg = config_from_args(VQConfig, _args("--config", str(vq_yaml), "--steps", "5",
                                           "--set", "train.lr=3e-4", "--set", "model.levels=2",
                                           "--set", "train.report_to=tensorboard",
                                           "--dataset", "d"))
    assert (cfg.train.steps, cfg.train.lr, cfg.model.levels) == (5, 3e-4, 2)
    assert (cfg.train.report_to, cfg.data.dataset, cfg.model.width) == ("tensorboard", "d", 16)
    later = config_from_args(VQConfig, _args("--config", str(vq_yaml), "--steps", "5",
                                             "--set", "train.steps=7"))
    assert later.train.steps == 7            # --set wins over a shorthand flag


@pytest.mark.parametrize("override, fragment", [
    ("train.stpes=3", "unknown key(s) ['train.stpes']"),
    ("train.steps=many", "train.steps must be an integer"),
    ("train.lr=fast", "train.lr must be a number"),
    ("model=4", "model must be a mapping"),
    ("train.report_to=mlflow", "train.report_to must be one of"),
    ("nonsense", "expected key=value"),
])
def test_bad_overrides_are_one_line_errors_naming_the_file_and_key(vq_yaml, override, fragment):
    from tdmm_lm.vqvae.config import VQConfig
    with pytest.raises(TdmmError) as err:
        config_from_args(VQConfig, _args("--config", str(vq_yaml), "--set", override))
    message = str(err.value)
    assert fragment in message and str(vq_yaml) in message and "\n" not in message


@pytest.mark.parametrize("text, fragment", [
    ("train: {steps: 3, warmup: 2}\n", "unknown key(s) ['train.warmup']"),
    ("model: [1, 2]\n", "model must be a mapping"),
    ("model: 7\n", "model must be a mapping"),
    ("train: {steps: 2.5}\n", "train.steps must be an integer"),
    ("x: !!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
])
def test_config_files_with_bad_keys_types_or_python_tags_are_refused(tmp_path, text, fragment):
    from tdmm_lm.baselines.config import BaselineConfig
    from tdmm_lm.benchmark.extractor import ExtractorConfig
    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.vqvae.config import VQConfig
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for cls in (VQConfig, LMConfig, BaselineConfig, ExtractorConfig):
        with pytest.raises(TdmmError) as err:
            cls.from_yaml(path)
        assert fragment in str(err.value) and str(path) in str(err.value), (cls, str(err.value))


def test_every_trainer_config_shares_one_train_section_and_the_same_names():
    import dataclasses
    import typing

    from tdmm_lm.baselines.config import BaselineConfig
    from tdmm_lm.benchmark.extractor import ExtractorConfig
    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.vqvae.config import VQConfig
    for cls in (VQConfig, LMConfig, BaselineConfig, ExtractorConfig):
        hints = typing.get_type_hints(cls)
        assert hints["train"] is TrainSection, cls
        assert "dataset" in {f.name for f in dataclasses.fields(hints["data"])}, cls
    for cls in (LMConfig, BaselineConfig):
        data = typing.get_type_hints(cls)["data"]
        assert "motion_tokenizer" in {f.name for f in dataclasses.fields(data)}, cls


def test_the_schedule_anneals_by_the_time_limit_when_it_comes_first():
    from tdmm_lm.training.schedule import lr_factor

    tc = TrainSection(out="x", steps=1000, warmup_steps=10, min_lr_ratio=0.1, max_minutes=5)
    assert lr_factor(5, tc, time_fraction=0.9) == pytest.approx(0.6)        # warm-up is by steps
    # a quarter of the steps but half of the time: the cosine is half way down
    assert lr_factor(257, tc, time_fraction=0.5) == pytest.approx(0.55, abs=1e-6)
    assert lr_factor(257, tc, time_fraction=0.5) < lr_factor(257, tc) - 0.2
    assert lr_factor(100, tc, time_fraction=1.0) == pytest.approx(0.1)      # fully annealed
    assert lr_factor(1000, tc, time_fraction=0.1) == pytest.approx(0.1)     # steps came first
