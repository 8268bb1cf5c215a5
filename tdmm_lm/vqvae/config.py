"""The VQ-VAE configuration: one typed dataclass, validated, loaded from / saved to YAML.

    cfg = VQConfig.from_yaml("configs/vqvae/tiny.yaml", ["train.steps=200"])   # errors name file and key
    cfg.save_yaml(out / "config.yaml")                      # the resolved config, beside checkpoints
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tdmm_lm.training.config import TrainSection
from tdmm_lm.yaml_config import ConfigMixin, check


@dataclass
class ModelConfig:
    """The network (T2M-GPT's conv VQ-VAE: strided stages + dilated residual blocks).

    Token rate = fps / downsample × (levels for ``vq``, 1 for ``fsq``) tokens per second.
    """

    downsample: int = 4          # frames per token: 1 (TDMM-LM paper), 2 or 4 (T2M-GPT), 8
    width: int = 128             # conv channels
    depth: int = 3               # residual blocks per stage (dilations 9, 3, 1 for depth 3)
    dilation_growth: int = 3
    codebook_size: int = 512     # K codes per quantiser level
    code_dim: int = 128          # C, the dimension of one code vector
    levels: int = 1              # residual-VQ quantisers; 1 = plain VQ
    quantizer_dropout: float = 0.0   # P(train with a random prefix of levels), residual VQ only
    ema_decay: float = 0.99      # codebook EMA (T2M-GPT: 0.99)
    dead_code_threshold: float = 1.0  # EMA usage below this → code reset to a batch vector
    # "vq": EMA codebook(s) of codebook_size codes (residual VQ when levels > 1);
    # "fsq": finite scalar quantisation, one code per step from prod(fsq_levels) grid points
    # (codebook_size, levels, ema_decay, dead_code_threshold, quantizer_dropout are then unused)
    quantizer: str = "vq"
    fsq_levels: list[int] = field(default_factory=lambda: [8, 5, 5, 5])   # paper's ~1k-code set

    @property
    def num_levels(self) -> int:
        """Tokens per step."""
        return 1 if self.quantizer == "fsq" else self.levels

    @property
    def num_codes(self) -> int:
        """Distinct codes per level (FSQ: the grid size)."""
        return math.prod(self.fsq_levels) if self.quantizer == "fsq" else self.codebook_size

    def validate(self) -> None:
        check(self.downsample in (1, 2, 4, 8), "model.downsample", "must be 1, 2, 4 or 8")
        for name in ("width", "depth", "codebook_size", "code_dim", "levels", "dilation_growth"):
            check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        check(0.0 <= self.quantizer_dropout < 1.0, "model.quantizer_dropout", "must be in [0, 1)")
        check(0.0 < self.ema_decay < 1.0, "model.ema_decay", "must be in (0, 1)")
        check(self.dead_code_threshold >= 0, "model.dead_code_threshold", "must be >= 0")
        check(self.quantizer in ("vq", "fsq"), "model.quantizer", "must be 'vq' or 'fsq'")
        check(len(self.fsq_levels) >= 1 and all(lv >= 2 for lv in self.fsq_levels),
              "model.fsq_levels", "must be a non-empty list of integers >= 2")
        check(self.quantizer != "fsq" or self.levels == 1, "model.levels",
              "must be 1 with quantizer 'fsq' (the grid point is one code)")


@dataclass
class LossConfig:
    """Weights of the training loss terms (see losses.py); 0 switches a term off."""

    vertex: float = 0.1          # L1 on rig vertices in mm (0 = the "no geometry" ablation)
    vertex_subset: int = 800     # vertices the loss looks at (speed); sampled by motion range
    vertex_sampling: str = "influence"   # "influence" (∝ how far blendshapes move a vertex) | "uniform"
    param: float = 1.0           # weight of the normalised-parameter term
    # "mse" | "smooth_l1": faces rest most of the time, and an L1-like loss on a mostly-at-rest
    # channel is minimised by its median (rest), so smooth-L1 flattens blinks and brow raises
    param_loss: str = "mse"
    velocity: float = 0.5        # smooth-L1 on frame-to-frame differences (T2M-GPT's 0.5 aux)
    commitment: float = 0.02     # encoder → code commitment (T2M-GPT: 0.02)
    asymmetry: float = 0.0       # MSE on left-minus-right of mirror pairs (winks, one brow)

    def validate(self) -> None:
        for name in ("vertex", "param", "velocity", "commitment", "asymmetry"):
            check(getattr(self, name) >= 0, f"loss.{name}", "must be >= 0")
        check(self.vertex_subset >= 1, "loss.vertex_subset", "must be >= 1")
        check(self.vertex_sampling in ("influence", "uniform"), "loss.vertex_sampling",
               "must be 'influence' or 'uniform'")
        check(self.vertex + self.param > 0, "loss.vertex/param", "one must be > 0")
        check(self.param_loss in ("mse", "smooth_l1"), "loss.param_loss",
               "must be 'mse' or 'smooth_l1'")


@dataclass
class DatasetEntry:
    """One dataset of a training mix (``data.datasets``)."""

    path: str = ""               # DatasetDict folder, published folder or Hub id
    weight: float = 1.0          # share of training windows drawn from it (relative to the others)


@dataclass
class DataSection:
    """Where training clips come from: ``dataset`` (one) or ``datasets`` (a weighted mix).

    A mix draws each training window from dataset i with probability weight_i / sum(weights)
    (clips uniformly within it), so a large unlabeled corpus does not drown a small one. Motion
    only is needed: rows without descriptions are fine. The FIRST dataset is the primary: it
    sets the format, channels and fps, and validation (best/) uses its validation split only,
    so runs with different mixes are compared on the same clips. The other datasets need only a
    train split, in the same format (extra channels, e.g. FLAME expressions 50-99, are dropped).
    """

    dataset: str = ""            # DatasetDict folder (save_to_disk); --dataset overrides
    datasets: list[DatasetEntry] = field(default_factory=list)   # or a mix: [{path, weight}, ...]
    fps: float = 0.0             # tokenizer frame rate; 0 = the training split's fps
    window: int = 64             # frames per training crop (T2M-GPT: 64)
    max_val_samples: int = 200   # validation clips per pass (speed)
    # floor on each channel's standard deviation when z-scoring: a channel the training data
    # barely moves (FaceScript's mouthRight: 0.02) would turn a real take's 0.9 into z = 43 and
    # throw the encoder off; blendshape weights live in [0, 1], so 0.1 keeps real takes near z <= 10.
    # It floors the rotations too (their std is 0.04-0.06 rad); leaving them unfloored cost the
    # default channel R² 0.688 -> 0.617 for little on real takes (1.21 -> 1.15; vq_head.md)
    std_floor: float = 0.1
    # share of training windows whose head rotation is set to exactly 0, as Live Link Face
    # records it with head tracking off (3 of the 4 shared takes): without it the decoder gives
    # such takes a head drift of 0.01-0.03 rad, which on a face that moves a few mm is most of
    # the error (eval/results/vq_head.md)
    head_off_prob: float = 0.0

    def validate(self) -> None:
        check(self.window >= 1 and self.max_val_samples >= 1, "data.window/max_val_samples",
              "must be >= 1")
        check(self.fps >= 0, "data.fps", "must be >= 0 (0 = the dataset's fps)")
        check(self.std_floor > 0, "data.std_floor", "must be > 0")
        check(0 <= self.head_off_prob <= 1, "data.head_off_prob", "must be in [0, 1]")
        check(not (self.dataset and self.datasets), "data.dataset/data.datasets",
              "set one of the two (--dataset sets data.dataset; a mix goes in data.datasets)")
        for i, entry in enumerate(self.datasets):
            check(bool(entry.path), f"data.datasets[{i}].path", "must be set")
            check(entry.weight > 0, f"data.datasets[{i}].weight", "must be > 0")

    def sources(self) -> list[tuple[str, float]]:
        """``(path, weight)`` of every training dataset, the primary first (empty: none set)."""
        if self.dataset:
            return [(self.dataset, 1.0)]
        return [(e.path, e.weight) for e in self.datasets]


@dataclass
class VQConfig(ConfigMixin):
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=lambda: TrainSection(out="runs/vqvae"))

    def __post_init__(self) -> None:
        for section in (self.model, self.loss, self.data, self.train):
            section.validate()
        check(self.data.window % self.model.downsample == 0, "data.window",
              f"must be a multiple of model.downsample ({self.model.downsample})")
