"""Tiny baseline configs and runs trained a few steps on the ``tiny_tokenized`` corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_MODELS = {
    "mdm": {"width": 32, "layers": 2, "heads": 4, "ff_size": 64, "max_frames": 60, "fps": 15,
            "sample_steps": 5},
    "t2m-gpt": {"width": 32, "layers": 2, "heads": 4, "max_tokens": 24},
}


@pytest.fixture(scope="session", autouse=True)
def text_cache(tmp_path_factory):
    """Text vectors cached in a temporary folder, shared by the session's runs."""
    old = os.environ.get("TDMM_LM_CACHE")
    os.environ["TDMM_LM_CACHE"] = str(tmp_path_factory.mktemp("tdmm_cache"))
    yield
    if old is None:
        os.environ.pop("TDMM_LM_CACHE", None)
    else:
        os.environ["TDMM_LM_CACHE"] = old


def tiny_config(kind: str, tokenized, out: Path, **train):
    """A ``BaselineConfig`` for a seconds-long run of ``kind`` on the tiny corpus."""
    from tdmm_lm.baselines.config import BaselineConfig
    data = {"dataset": str(tokenized.dataset), "motion_tokenizer": str(tokenized.tokenizer),
            "max_val_samples": 8}
    base = {"out": str(out), "batch_size": 8, "steps": 4, "lr": 1e-3, "warmup_steps": 1,
            "eval_every": 2, "checkpoint_every": 2, "num_threads": 2}
    return BaselineConfig.from_dict({"kind": kind, "model": TINY_MODELS[kind], "data": data,
                                     "train": {**base, **train}})


@pytest.fixture(scope="session")
def tiny_runs(tiny_tokenized, tmp_path_factory, text_cache):
    """``{kind: run folder}`` for MDM (with EMA) and T2M-GPT, each trained 4 steps."""
    from tdmm_lm.baselines.train import train
    root = tmp_path_factory.mktemp("baseline_runs")
    runs = {}
    for kind, extra in (("mdm", {"ema_decay": 0.5}), ("t2m-gpt", {})):
        runs[kind] = root / kind
        train(tiny_config(kind, tiny_tokenized, runs[kind], **extra), progress=False)
    return runs
