"""A benchmark file (``eval/benchmarks/*.yaml``): which data, which protocol, which models.

    cfg = BenchmarkConfig.from_yaml("eval/benchmarks/facescript.yaml")

Paths inside the file are relative to the working directory the command runs in (the
repository root), like every other path the CLI takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tdmm_lm.yaml_config import check, from_mapping, read_yaml
from tdmm_lm.errors import TdmmError

MOTION_METRICS = ("fid", "r_precision", "matching", "diversity", "multimodality", "parameter_l2",
                  "frame_fd", "token_accuracy", "vertex", "judge")
TEXT_METRICS = ("bleu", "rouge_l", "cider", "bertscore", "text_r_precision", "attributes")


@dataclass
class ModelEntry:
    """One generator or describer: registry ``name``, optional ``checkpoint`` folder, builder
    ``options``, and the ``label`` its table row shows (default: the name)."""

    name: str
    checkpoint: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.name

    @classmethod
    def parse(cls, raw: Any, where: str) -> ModelEntry:
        if isinstance(raw, ModelEntry):
            return raw
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict) or "name" not in raw:
            raise TdmmError(f"{where}: each entry needs a 'name' (a registry name), got {raw!r}")
        unknown = set(raw) - {"name", "checkpoint", "options", "label"}
        if unknown:
            raise TdmmError(f"{where}: entry {raw['name']!r} has unknown keys {sorted(unknown)}")
        if not isinstance(raw.get("options") or {}, dict):
            raise TdmmError(f"{where}: entry {raw['name']!r}: options must be a mapping")
        return cls(str(raw["name"]), raw.get("checkpoint"), dict(raw.get("options") or {}),
                   str(raw.get("label") or ""))


@dataclass
class BenchmarkConfig:
    name: str = "benchmark"
    dataset: str = ""            # saved DatasetDict folder
    split: str = "test"
    format: str = "arkit61"      # the dataset's motion format (checked)
    fps: float = 30.0            # every motion is resampled to this before feature extraction
    max_frames: int = 196        # generation lengths = reference lengths capped at this
    limit: int = 0               # only the first N clips of the split (0 = all)
    extractor: str = ""          # folder from tdmm-lm eval train-extractor
    motion_tokenizer: str = ""   # motion tokenizer for token accuracy ("" = skip that metric)
    rig: str = ""                # ARKit rig .npz for vertex errors ("" = the resolved default)
    flame_model: str = ""        # FLAME model folder for vertex errors on FLAME data
    replications: int = 20       # the reference protocol: 20
    detail_replications: int = 5  # replications that also get the per-clip measures (L2, tokens,
                                  # vertices, detectors; seconds per replication); 0 = all
    batch_size: int = 32         # R-precision / MM-Dist batches (exactly 32 in the reference)
    diversity_times: int = 48    # Sd: Express4D 48, HumanML3D 300
    mm_times: int = 10           # multimodality pairs per text (reference: 10)
    seed: int = 0                # replication r uses seed + r (generation, shuffles, pairs)
    cache_dir: str = "eval/cache"
    results_dir: str = "eval/results"
    num_threads: int = 1         # torch threads (small GRUs are fastest on one)
    metrics: list = field(default_factory=lambda: list(MOTION_METRICS + TEXT_METRICS))
    generators: list = field(default_factory=list)
    describers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        check(bool(self.dataset), "dataset", "is required (a DatasetDict folder)")
        check(bool(self.extractor), "extractor", "is required (tdmm-lm eval train-extractor)")
        check(self.fps > 0 and self.max_frames >= 4, "fps/max_frames", "must be positive")
        check(self.replications >= 1 and self.limit >= 0 and self.detail_replications >= 0,
              "replications/limit/detail_replications", "must be >= 1 / >= 0 / >= 0")
        check(self.batch_size >= 2 and self.diversity_times >= 1 and self.mm_times >= 1,
              "batch_size/diversity_times/mm_times", "must be positive")
        check(self.seed >= 0 and self.num_threads >= 1, "seed/num_threads", "must be >= 0 / >= 1")
        unknown = sorted(set(self.metrics) - set(MOTION_METRICS + TEXT_METRICS))
        check(not unknown, "metrics", f"has unknown names {unknown}; known: "
              f"{list(MOTION_METRICS + TEXT_METRICS)}")
        self.generators = [ModelEntry.parse(g, "generators") for g in self.generators]
        self.describers = [ModelEntry.parse(d, "describers") for d in self.describers]
        labels = [m.label for m in self.generators] + [m.label for m in self.describers]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        check(not dup, "generators/describers", f"repeat labels {dup}; give each a 'label'")
        check(bool(labels), "generators/describers", "name at least one model")

    @classmethod
    def from_yaml(cls, path: str | Path) -> BenchmarkConfig:
        raw = read_yaml(path)
        raw.setdefault("name", Path(path).stem)
        return from_mapping(cls, raw, str(path))

    @property
    def detail_count(self) -> int:
        """How many replications get the per-clip measures."""
        return min(self.detail_replications or self.replications, self.replications)

    def wants(self, metric: str) -> bool:
        return metric in self.metrics

    def select(self, only: list[str] | None) -> None:
        """Keep only the models whose label or name is in ``only`` (``--only``)."""
        if not only:
            return
        known = {m.label for m in self.generators + self.describers} | \
            {m.name for m in self.generators + self.describers}
        missing = sorted(set(only) - known)
        if missing:
            raise TdmmError(f"--only names {missing}, which this benchmark does not list "
                            f"(it has {sorted(known)})")
        self.generators = [m for m in self.generators if {m.label, m.name} & set(only)]
        self.describers = [m for m in self.describers if {m.label, m.name} & set(only)]
