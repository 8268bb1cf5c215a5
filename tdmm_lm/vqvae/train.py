"""Train the motion tokenizer: a task for the shared runner (``tdmm_lm.training``).

    tdmm-lm vq train --config configs/vqvae/tiny.yaml --dataset DATA --out runs/vq_tiny
    tdmm-lm vq train --config configs/vqvae/tiny.yaml --set train.steps=200 --set train.grad_accum=2
    tdmm-lm vq train --config configs/vqvae/mix.yaml      # data.datasets: a weighted mix
    accelerate launch -m tdmm_lm.vqvae.train --config configs/vqvae/gpu.yaml --dataset DATA

Batches are random windows of the training clips (of a weighted mix of datasets: see
``DataSection``; motion-only rows are fine); ``best/`` keeps the tokenizer with the lowest
validation vertex error (``save_pretrained`` format + config.yaml + metrics.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.ops import Normalizer, pad_batch, random_crop
from tdmm_lm.training import runner
from tdmm_lm.training.args import config_from_args
from tdmm_lm.vqvae.args import add_args
from tdmm_lm.vqvae.config import VQConfig
from tdmm_lm.vqvae.losses import VQLoss
from tdmm_lm.vqvae.tokenizer import MotionTokenizer


class TokenizerTask:
    name, metric, higher_is_better, validate_on_all_ranks = "vq", "vertex_mm", False, False

    def __init__(self, cfg: VQConfig, accelerator, rig=None, flame_model=None) -> None:
        from tdmm_lm.data.schema import load_dataset_dict, require_splits, split_motions
        from tdmm_lm.geometry import FaceGeometry
        from tdmm_lm.motion.ops import prepare_motion

        dc = cfg.data
        if not dc.sources():
            raise TdmmError("no dataset: set data.dataset (or a data.datasets mix) in the config "
                            "or pass --dataset DIR")
        primary = dc.sources()[0][0]
        dd = load_dataset_dict(primary)
        require_splits(dd, primary)
        first = split_motions(dd["train"], 1)[0]
        fps = dc.fps or first.fps
        raw: list[list[np.ndarray]] = []   # per dataset; resampled once up front
        for path, _ in dc.sources():
            part = dd if path == primary else load_dataset_dict(path)
            require_splits(part, path, ("train",))
            try:
                raw.append([prepare_motion(m, first.format.name, first.channels, fps)
                            for m in split_motions(part["train"])])
            except TdmmError as e:
                raise TdmmError(f"{path}: cannot mix with {primary} ({e})") from None
        # the Normalizer sees TRAIN splits only (no test leak)
        normalizer = Normalizer.fit([a for part in raw for a in part], first.channels,
                                    first.format.name, std_floor=dc.std_floor)
        # head tracking off (data.head_off_prob): head channels at the z-score of exactly 0
        self.head_ids = np.array(first.format.groups(first.channels).get("head", []), dtype=int)
        self.head_off = normalizer.normalize(np.zeros(len(first.channels), np.float32))[self.head_ids]
        self.cfg, self.model = cfg, MotionTokenizer.build(cfg, normalizer, fps)
        self.arrays, self.probs = [], []
        for (path, weight), part in zip(dc.sources(), raw):
            usable = [normalizer.normalize(a) for a in part if len(a) >= dc.window // 2]
            if not usable:
                raise TdmmError(f"{path}: no training clip has {dc.window // 2}+ frames at "
                                f"{fps:g} fps; lower data.window")
            self.arrays += usable
            self.probs += [weight / len(usable)] * len(usable)
        self.probs = np.asarray(self.probs) / np.sum(self.probs)
        self.val_motions = split_motions(dd["validation"], dc.max_val_samples)
        self.geometry = FaceGeometry.for_format(first.format.name, first.channels, rig=rig,
                                                flame_model=flame_model)
        self.loss_fn = VQLoss(cfg.loss, self.geometry, seed=cfg.train.seed,
                              mirror_pairs=first.format.mirror_pairs(first.channels)
                              ).to(accelerator.device)

    def param_groups(self, tc) -> list[dict]:
        return [{"params": list(self.model.parameters())}]

    def batch(self, rng: np.random.Generator, batch_size: int, device) -> tuple:
        """Random windows ``[B, window, D]`` + mask ``[B, window]``."""
        picks = (rng.integers(0, len(self.arrays), batch_size) if len(self.cfg.data.sources()) == 1
                 else rng.choice(len(self.arrays), batch_size, p=self.probs))  # one: same stream as before
        window = self.cfg.data.window
        data, mask = pad_batch([random_crop(self.arrays[i], window, rng) for i in picks], window,
                               mode="edge")
        if self.cfg.data.head_off_prob > 0:   # drawn only when on: other runs keep their stream
            off = rng.random(batch_size) < self.cfg.data.head_off_prob
            data[np.ix_(off, np.arange(window), self.head_ids)] = self.head_off
        return torch.from_numpy(data).to(device), torch.from_numpy(mask).to(device)

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        x, m = batch
        result = model(x, m)
        loss, logs = self.loss_fn(x, result["recon"], m, result["commitment"], self.model.denormalize)
        codes = result["codes"][..., 0]
        logs["batch_code_usage"] = len(torch.unique(codes[codes >= 0])) / self.cfg.model.num_codes
        return loss, logs

    def validate(self, model) -> dict:
        from tdmm_lm.vqvae.evaluate import evaluate_motions
        metrics = evaluate_motions(model, self.val_motions, self.geometry, timing=False,
                                   regions=["face"])
        return {"vertex_mm": metrics["vertex"]["face"]["mean_mm"], **metrics}

    def save(self, model, folder: Path, metrics: dict, state_dict) -> None:
        model.save_pretrained(folder)
        self.cfg.save_yaml(folder / "config.yaml")
        atomic_write_text(folder / "metrics.json", json.dumps(metrics, indent=1))


def train(cfg: VQConfig, *, rig=None, flame_model=None, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best tokenizer."""
    return runner.train(cfg, lambda acc: TokenizerTask(cfg, acc, rig, flame_model), progress=progress)


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.vqvae.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(VQConfig, args), rig=args.rig, flame_model=args.flame_model,
          progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
