"""Train MDM or T2M-GPT: one task for the shared runner (``tdmm_lm.training``) for both.

    tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml
    tdmm-lm baseline train t2m-gpt --config configs/baselines/t2m_gpt_tiny.yaml --set train.lr=1e-3
    accelerate launch -m tdmm_lm.baselines.train --config configs/baselines/mdm_paper.yaml --dataset DATA

Each model's ``training.py`` supplies the model, the examples and the collate function
(``data.TrainingSetup``); the model's ``forward(batch) -> (loss, logs)`` is the step. ``best/``
keeps the lowest validation loss (``save_pretrained`` + generator.json + config.yaml +
metrics.json); with ``train.ema_decay`` the validated and saved weights are the EMA weights. The
prompts' sentence vectors are computed once and cached (``text.default_cache_dir()``).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import numpy as np
import torch

from tdmm_lm.baselines.args import add_args
from tdmm_lm.baselines.config import BaselineConfig
from tdmm_lm.baselines.data import TrainingSetup
from tdmm_lm.baselines.registry import BASELINES
from tdmm_lm.errors import TdmmError
from tdmm_lm.training import runner
from tdmm_lm.training.args import config_from_args

VALIDATION_SEED = 12345  # the same crops, texts and noise every pass: comparable losses


class BaselineTask:
    metric, higher_is_better, validate_on_all_ranks = "loss", False, False

    def __init__(self, cfg: BaselineConfig, accelerator) -> None:
        from tdmm_lm.data.schema import load_dataset_dict, require_splits, require_texts

        if not cfg.data.dataset:
            raise TdmmError("no dataset: set data.dataset in the config or pass --dataset DIR")
        dd = load_dataset_dict(cfg.data.dataset)
        require_splits(dd, cfg.data.dataset)
        require_texts(dd, cfg.data.dataset)
        with accelerator.main_process_first():  # the main process encodes and caches the texts
            bank = text_bank(cfg, dd, accelerator.device)
        self.cfg, self.name = cfg, cfg.kind
        self.setup: TrainingSetup = importlib.import_module(BASELINES[cfg.kind].training).setup(cfg, dd, bank)
        self.model = self.setup.model

    def param_groups(self, tc) -> list[dict]:
        return [{"params": [p for p in self.model.parameters() if p.requires_grad]}]

    def batch(self, rng: np.random.Generator, batch_size: int, device) -> dict:
        picks = rng.integers(0, len(self.setup.train), batch_size)
        batch = self.setup.collate([self.setup.train[i] for i in picks], rng)
        return {k: v.to(device) for k, v in batch.items()}

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        return model(batch)

    @torch.no_grad()
    def validate(self, model) -> dict:
        """Mean logs over the validation examples (fixed crops, texts and noise), eval mode."""
        model.eval()
        seed = self.cfg.train.seed
        rng = np.random.default_rng([seed, VALIDATION_SEED])
        generator = torch.Generator().manual_seed(seed + VALIDATION_SEED)
        totals: dict[str, float] = {}
        examples, size = self.setup.validation, self.cfg.train.batch_size
        for i in range(0, len(examples), size):
            chunk = examples[i:i + size]
            batch = {k: v.to(model_device(model)) for k, v in self.setup.collate(chunk, rng).items()}
            _, logs = model(batch, generator=generator)
            for k, v in logs.items():
                totals[k] = totals.get(k, 0.0) + v * len(chunk)
        return {k: v / len(examples) for k, v in totals.items()}

    def save(self, model, folder: Path, metrics: dict, state_dict) -> None:
        from tdmm_lm.baselines.generator import save_checkpoint
        save_checkpoint(model, folder, self.cfg.kind, run_config=self.cfg, metrics=metrics)


def model_device(model) -> torch.device:
    return next(model.parameters()).device


def text_bank(cfg: BaselineConfig, dd, device, encode=None):
    """The sentence vectors of every training and validation prompt (cached on disk; ``encode``:
    ``TextBank.build``'s)."""
    from tdmm_lm.baselines.data import split_texts
    from tdmm_lm.baselines.text import TextBank, default_cache_dir
    texts = [t for split, more in (("train", cfg.data.reworded), ("validation", 0))
             for ts in split_texts(dd[split], more) for t in ts]
    return TextBank.build(cfg.text_encoder, texts, device=device, cache_dir=default_cache_dir(),
                          encode=encode)


def train(cfg: BaselineConfig, *, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best model."""
    return runner.train(cfg, lambda acc: BaselineTask(cfg, acc), progress=progress)


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.baselines.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(BaselineConfig, args), progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
