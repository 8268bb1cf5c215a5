"""The ``MotionGenerator`` side of the baselines: prompts → text vectors → model → ``Motion``,
and loading a checkpoint (a folder, a run folder whose ``best/`` is used, or a Hub repo id).

Each model folder's ``generator.py`` holds the builder the registry names: it calls
``load_model`` and wraps the model in its generator class; ``context.options`` carries sampling
settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tdmm_lm.artifacts import first_line, load_errors, resolve_artifact
from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.baselines.registry import baseline
from tdmm_lm.errors import TdmmError
from tdmm_lm.generators import BuildContext, write_kind
from tdmm_lm.limits import check_size
from tdmm_lm.motion.types import Motion


def save_checkpoint(model, folder: str | Path, kind: str, *, run_config=None,
                    metrics: dict | None = None) -> None:
    """``save_pretrained`` (config.json + model.safetensors) + ``generator.json`` (so
    ``load_generator`` and ``tdmm-lm generate --model`` read it) + the run's resolved config
    (``config.yaml``, a ``BaselineConfig``) and validation metrics when given."""
    folder = Path(folder)
    model.save_pretrained(folder)
    write_kind(folder, kind)
    if run_config is not None:
        run_config.save_yaml(folder / "config.yaml")
    if metrics is not None:
        atomic_write_text(folder / "metrics.json", json.dumps(metrics, indent=1))


def load_model(kind: str, checkpoint: str | None, device: str | None = None):
    """The registered ``kind``'s network from ``checkpoint`` (a folder, a run or a Hub repo id)
    via ``from_pretrained`` (strict: a missing weight is an error, not a silent default), on
    ``device``, in eval mode."""
    if not checkpoint:
        raise TdmmError(f"the {kind} generator needs a checkpoint folder (a training run's best/)")
    path = resolve_artifact(checkpoint, kind)
    cls = baseline(kind).model_class()
    for name in ("config.json", "model.safetensors"):
        if not (path / name).is_file():
            raise TdmmError(f"{path}: not a complete {kind} checkpoint ({name} is missing)")
    try:
        config = json.loads((path / "config.json").read_text())
        if not isinstance(config, dict):
            raise ValueError("config.json is not a JSON object")
        # counted on the meta device first: a config asking for a huge network is one line
        check_size(lambda: cls(**config), f"{path}/config.json")
        model = cls.from_pretrained(str(path), strict=True)
    except load_errors() as e:
        raise TdmmError(f"{path}: cannot load a {kind} model ({first_line(e)})") from None
    model = model.to(device or "cpu").eval()
    model.source = path
    return model


def option(context: BuildContext, key: str, kind: type, default: Any = None) -> Any:
    """``context.options[key]`` as ``kind`` (options may arrive as strings from a command line)."""
    value = context.options.get(key, default)
    if value is None:
        return None
    try:
        if kind is bool and isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return kind(value)
    except (TypeError, ValueError):
        raise TdmmError(f"option {key}={value!r} must be a {kind.__name__}") from None


class BaselineGenerator:
    """Shared part of the baseline generators: encodes prompts with the frozen text encoder the
    model was trained with (loaded on first use) and turns raw arrays into ``Motion`` objects.
    Subclasses implement ``_arrays(cond, lengths, generator) -> list[[T, D]]`` and ``_format()``."""

    name = "baseline"

    def __init__(self, model) -> None:
        self.model = model
        self._encoder = None

    @property
    def fps(self) -> float:
        return float(self.model.fps)

    def save_pretrained(self, folder: str | Path) -> None:
        """A clean copy of the checkpoint (weights, config, generator.json, run config)."""
        import shutil
        save_checkpoint(self.model, folder, self.name)
        source = getattr(self.model, "source", None)
        if source is not None and (source / "config.yaml").is_file():
            shutil.copy2(source / "config.yaml", Path(folder) / "config.yaml")

    def encode(self, texts: list[str]) -> torch.Tensor:
        """Sentence vectors ``[B, cond_dim]`` float32."""
        from tdmm_lm.baselines.text import encode_texts
        from tdmm_lm.text_encoder import TextEncoder
        if self._encoder is None:
            self._encoder = TextEncoder.load(self.model.text_encoder, self.model.device)
            if self._encoder.dim != self.model.cond_dim:
                raise TdmmError(f"text encoder {self.model.text_encoder!r} gives {self._encoder.dim}-d "
                                f"vectors; the model was trained on {self.model.cond_dim}-d")
        return encode_texts(self._encoder, texts)

    def generate(self, texts: list[str], lengths: list[int] | None, *, seed: int) -> list[Motion]:
        if lengths is not None and len(lengths) != len(texts):
            raise TdmmError(f"got {len(texts)} prompts but {len(lengths)} lengths")
        if not texts:
            return []
        # a CPU generator: the same seed gives the same motions on any device
        generator = torch.Generator().manual_seed(seed)
        arrays = self._arrays(self.encode(list(texts)), lengths, generator)
        fmt, channels = self._format()
        return [Motion(np.ascontiguousarray(a, dtype=np.float32), self.fps, fmt, channels,
                       meta={"text": t, "generator": self.name}) for a, t in zip(arrays, texts)]

    def _arrays(self, cond: torch.Tensor, lengths: list[int] | None,
                generator: torch.Generator) -> list[np.ndarray]:
        raise NotImplementedError

    def _format(self) -> tuple[str, tuple[str, ...]]:
        raise NotImplementedError
