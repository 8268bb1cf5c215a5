"""Motion-only datasets: a tokenizer trains on a weighted mix; text trainers refuse them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tdmm_lm.errors import TdmmError
from tests.tiny import random_motion


def motion_only_dataset(out, n=12, frames=40, fmt="arkit61", still=()):
    """A saved DatasetDict of ``n`` motion-only rows (no description) over 4 subjects; the
    ``still`` channel indices barely move (std about 0.002)."""
    from tdmm_lm.data.recipe import DatasetInfo, SkipLog, write_dataset
    from tdmm_lm.data.sources import motion_row
    from tdmm_lm.data.splits import SplitSpec
    from tdmm_lm.motion.formats import flame_channels
    from tdmm_lm.motion.types import Motion
    log = SkipLog()
    rows = []
    for i in range(n):
        m = random_motion(frames, seed=i)
        m.data[:, list(still)] *= 0.01
        if fmt == "flame":
            m = Motion(np.zeros((frames, 56), np.float32), 30.0, "flame", flame_channels(50))
        log.read += 1
        rows.append(motion_row(m, id=f"take_{i}", subject=f"s{i % 4}", texts=[], source="test"))
    write_dataset(rows, out, split=SplitSpec("subject", 0.25, 0.25), log=log,
                  info=DatasetInfo("takes", "test", "other"))
    return out


def vq_config(tmp_path, data):
    from tdmm_lm.vqvae.config import VQConfig
    return VQConfig.from_dict({
        "model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8},
        "loss": {"vertex_subset": 64}, "data": {"window": 16, "max_val_samples": 3, **data},
        "train": {"out": str(tmp_path / "run"), "batch_size": 4, "steps": 2, "eval_every": 2,
                  "checkpoint_every": 2, "warmup_steps": 1}})


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    return motion_only_dataset(tmp_path_factory.mktemp("takes") / "takes")


def test_motion_only_rows_are_valid_and_inspectable(takes):
    from tdmm_lm.data.schema import load_dataset_dict
    dd = load_dataset_dict(str(takes))
    assert sum(len(p) for p in dd.values()) == 12
    assert all(r["texts"] == [] and r["text"] == "" for p in dd.values() for r in p)


def test_a_tokenizer_trains_on_a_weighted_mix(tmp_path, tiny_dataset, takes):
    import datasets

    from tdmm_lm.vqvae.train import TokenizerTask, train
    cfg = vq_config(tmp_path, {"datasets": [{"path": str(tiny_dataset), "weight": 1.0},
                                            {"path": str(takes), "weight": 3.0}]})
    task = TokenizerTask(cfg, SimpleNamespace(device="cpu"))
    n_face = len(datasets.load_from_disk(str(tiny_dataset))["train"])
    n_takes = len(datasets.load_from_disk(str(takes))["train"])
    assert len(task.arrays) == n_face + n_takes
    # a quarter of the windows from FaceScript, three quarters from the takes, whatever the counts
    assert task.probs[:n_face].sum() == pytest.approx(0.25)
    picks = np.random.default_rng(0).choice(len(task.arrays), 4000, p=task.probs)
    assert np.mean(picks >= n_face) == pytest.approx(0.75, abs=0.03)
    # validation stays on the primary (first) dataset
    assert len(task.val_motions) == min(3, len(datasets.load_from_disk(str(tiny_dataset))["validation"]))
    assert {m.meta["id"] for m in task.val_motions} <= set(
        datasets.load_from_disk(str(tiny_dataset))["validation"]["id"])
    best = train(cfg, progress=False)
    assert (best / "model.safetensors").is_file()
    saved = (best / "config.yaml").read_text()
    assert str(takes) in saved and "weight: 3.0" in saved


def test_motion_only_primary_trains_too(tmp_path, takes):
    from tdmm_lm.vqvae.train import TokenizerTask
    task = TokenizerTask(vq_config(tmp_path, {"dataset": str(takes)}), SimpleNamespace(device="cpu"))
    assert len(task.arrays) > 0


def test_std_floor_bounds_what_a_still_channel_does_to_a_real_take(tmp_path):
    # FaceScript leaves channels still that real takes move: the floor keeps their z-scores sane
    from tdmm_lm.motion.formats import ARKIT61
    from tdmm_lm.vqvae.train import TokenizerTask
    acc = SimpleNamespace(device="cpu")
    still = [ARKIT61.channels.index(c) for c in ("mouthRight", "jawLeft", "headRoll", "leftEyeYaw")]
    takes = motion_only_dataset(tmp_path / "still", still=still)
    floored = TokenizerTask(vq_config(tmp_path, {"dataset": str(takes)}), acc).model.norm_std
    raw = TokenizerTask(vq_config(tmp_path, {"dataset": str(takes), "std_floor": 1e-4}),
                        acc).model.norm_std
    assert raw[still].max().item() < 0.01                       # the still channels, unfloored
    assert floored[still].tolist() == pytest.approx([0.1] * 4)  # the config's default floor
    moving = raw >= 0.1
    assert torch.equal(floored[moving], raw[moving])            # moving channels keep their std
    with pytest.raises(TdmmError, match="data.std_floor must be > 0"):
        vq_config(tmp_path, {"dataset": str(takes), "std_floor": 0})


def test_head_off_windows_hold_the_head_at_exactly_zero(tmp_path, takes):
    from tdmm_lm.motion.formats import ARKIT61
    from tdmm_lm.vqvae.train import TokenizerTask
    acc = SimpleNamespace(device="cpu")
    head = [ARKIT61.channels.index(c) for c in ("headYaw", "headPitch", "headRoll")]
    off = TokenizerTask(vq_config(tmp_path, {"dataset": str(takes), "head_off_prob": 0.5}), acc)
    on = TokenizerTask(vq_config(tmp_path, {"dataset": str(takes)}), acc)
    x_off, _ = off.batch(np.random.default_rng(0), 400, "cpu")
    x_on, _ = on.batch(np.random.default_rng(0), 400, "cpu")
    raw_head = off.model.denormalize(x_off)[..., head]
    zeroed = raw_head.abs().amax(dim=(1, 2)) < 1e-6
    assert 0.4 < zeroed.float().mean().item() < 0.6              # about half the windows
    # the windows are the same crops: nothing but the head of the chosen ones changed
    assert torch.equal(x_off[~zeroed], x_on[~zeroed])
    others = [i for i in range(61) if i not in head]
    assert torch.equal(x_off[zeroed][..., others], x_on[zeroed][..., others])
    assert (on.model.denormalize(x_on)[..., head].abs().amax(dim=(1, 2)) > 1e-3).all()
    with pytest.raises(TdmmError, match="data.head_off_prob must be in"):
        vq_config(tmp_path, {"dataset": str(takes), "head_off_prob": 1.5})


@pytest.mark.parametrize("data, message", [
    ({"dataset": "a", "datasets": [{"path": "b"}]}, "set one of the two"),
    ({"datasets": [{"path": "b", "weight": 0}]}, "data.datasets[0].weight must be > 0"),
    ({"datasets": [{"weight": 1}]}, "data.datasets[0].path must be set"),
    ({"datasets": [{"path": "b", "wieght": 1}]}, "unknown key(s) ['data.datasets[0].wieght']"),
])
def test_mix_config_errors(tmp_path, data, message):
    with pytest.raises(TdmmError) as e:
        vq_config(tmp_path, data)
    assert message in str(e.value)


def test_a_mix_of_formats_is_one_line(tmp_path, tiny_dataset):
    from tdmm_lm.vqvae.train import TokenizerTask
    flame = motion_only_dataset(tmp_path / "flame", fmt="flame")
    cfg = vq_config(tmp_path, {"datasets": [{"path": str(tiny_dataset)}, {"path": str(flame)}]})
    with pytest.raises(TdmmError, match=f"{flame}: cannot mix with {tiny_dataset}"):
        TokenizerTask(cfg, SimpleNamespace(device="cpu"))


def test_text_trainers_refuse_motion_only_rows(tmp_path, takes):
    from tdmm_lm.baselines.config import BaselineConfig
    from tdmm_lm.baselines.train import BaselineTask
    from tdmm_lm.benchmark.extractor import ExtractorConfig, ExtractorTask
    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.lm.train import LMTask
    acc = SimpleNamespace(device="cpu")
    for task, cfg in ((LMTask, LMConfig.from_dict({"data": {"dataset": str(takes)}})),
                      (BaselineTask, BaselineConfig.from_dict({"data": {"dataset": str(takes)}})),
                      (ExtractorTask, ExtractorConfig.from_dict({"data": {"dataset": str(takes)}}))):
        with pytest.raises(TdmmError) as e:
            task(cfg, acc)
        assert "'train' rows have no description (motion-only data)" in str(e.value), task
        assert str(e.value).startswith(str(takes)) and "\n" not in str(e.value)
