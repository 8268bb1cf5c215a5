"""Tiny TDMM-LM configs for tests (importable, unlike conftest fixtures)."""

from __future__ import annotations

from pathlib import Path

TINY_BASE = {"hidden_size": 64, "num_layers": 2, "num_heads": 2, "num_kv_heads": 1,
             "intermediate_size": 128, "bpe_vocab": 400, "max_positions": 512}


def tiny_lm_config(fixture, out: str | Path, **sections):
    """An ``LMConfig`` for a tiny run on ``fixture`` (``tiny_tokenized``: ``.dataset``,
    ``.tokenizer``); ``sections`` update the config's sections, e.g. ``model={"finetune": "lora"}``."""
    from tdmm_lm.lm.config import LMConfig

    raw = {
        "model": {"tiny": dict(TINY_BASE), "finetune": "full"},
        "l2m": {"mode": "vocab", "layers": 1, "width": 64, "heads": 2},
        "data": {"dataset": str(fixture.dataset), "motion_tokenizer": str(fixture.tokenizer),
                 "max_val_samples": 8, "max_length": 256},
        "train": {"out": str(out), "steps": 30, "batch_size": 4, "lr": 3e-3, "warmup_steps": 3,
                  "eval_every": 30, "checkpoint_every": 30, "num_threads": 1},
        "generation": {"max_new_tokens": 24, "max_seconds": 4.0},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return LMConfig.from_dict(raw, where="test config")
