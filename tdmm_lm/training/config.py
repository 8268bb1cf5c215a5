"""The ``train:`` section every trainer's config shares (tokenizer, LM, baselines, extractor)."""

from __future__ import annotations

from dataclasses import dataclass

from tdmm_lm.yaml_config import check

MIXED_PRECISION = ("no", "bf16", "fp16")
TRACKERS = ("none", "tensorboard", "wandb", "trackio", "all")


@dataclass
class TrainSection:
    out: str = "runs/run"        # run folder; --out overrides
    steps: int = 2000            # optimizer updates
    batch_size: int = 16         # examples per process per micro-batch
    grad_accum: int = 1          # micro-batches per update: an update sees batch_size * grad_accum * processes
    lr: float = 1e-3
    warmup_steps: int = 100      # linear warm-up, then cosine decay to lr * min_lr_ratio
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0       # max gradient norm; 0 = off (DeepSpeed: its own gradient_clipping)
    ema_decay: float = 0.0       # EMA of the weights, validated and saved as the model; 0 = off
    seed: int = 0
    eval_every: int = 250        # updates between validation passes (best/ by the task's metric)
    checkpoint_every: int = 250  # updates between resumable full-state checkpoints (last/)
    # Wall minutes of the training loop (updates, validation, checkpoints; not start-up), summed
    # across resumes: a run resumed after 4 of 10 minutes gets 6 more. 0 = no limit.
    max_minutes: float = 0.0
    num_threads: int = 0         # torch CPU threads; 0 = torch's default
    mixed_precision: str = "no"  # accelerate: "no" | "bf16" | "fp16"
    report_to: str = "none"      # experiment tracker through Accelerate: none | tensorboard | wandb | trackio | all

    def validate(self) -> None:
        for name in ("steps", "batch_size", "grad_accum", "eval_every", "checkpoint_every"):
            check(getattr(self, name) >= 1, f"train.{name}", "must be >= 1")
        check(self.lr > 0, "train.lr", "must be > 0")
        check(0 <= self.min_lr_ratio <= 1, "train.min_lr_ratio", "must be in [0, 1]")
        check(0 <= self.ema_decay < 1, "train.ema_decay", "must be in [0, 1)")
        for name in ("warmup_steps", "num_threads", "weight_decay", "grad_clip", "max_minutes"):
            check(getattr(self, name) >= 0, f"train.{name}", "must be >= 0")
        check(self.mixed_precision in MIXED_PRECISION, "train.mixed_precision",
              f"must be one of {MIXED_PRECISION}")
        check(self.report_to in TRACKERS, "train.report_to", f"must be one of {TRACKERS}")
