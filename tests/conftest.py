"""Shared fixtures: the real assets in ../shared (skipped when absent) and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

# Nothing in the suite may reach a model hub: fail fast instead of waiting for a timeout.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_ASSETS = Path(__file__).resolve().parents[1].parent / "shared" / "assets"
REAL_TAKE = SHARED_ASSETS / "livelinkface" / "MySlate_3_Jason_Millers_iPhone.csv"
ICT_RIG = SHARED_ASSETS / "ict_facekit" / "ict_arkit_rig.npz"


def _asset(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared asset {path.name} not available (no ../shared beside the clone)")
    return path


@pytest.fixture
def real_take() -> Path:
    """The real Live Link Face take (328 frames at 60 fps)."""
    return _asset(REAL_TAKE)


@pytest.fixture
def ict_rig() -> Path:
    """The ARKit rig built from USC ICT-FaceKit."""
    return _asset(ICT_RIG)


@pytest.fixture
def cli(capsys):
    """Run ``tdmm-lm ARGS`` in-process; returns (exit status, stdout, stderr)."""
    from tdmm_lm.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err
    return run


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """A saved 30-clip FaceScript DatasetDict (arkit61, 30 fps, subject-disjoint splits)."""
    from tdmm_lm.cli import main
    out = tmp_path_factory.mktemp("vqdata") / "facescript"
    assert main(["data", "synth", "--out", str(out), "--num-samples", "30", "--num-subjects", "10"]) == 0
    return out


@pytest.fixture(scope="session")
def tiny_tokenized(tmp_path_factory):
    """A 60-clip FaceScript DatasetDict with a ``codes`` column and the (untrained, tiny: 2
    levels x 32 codes, 4x downsample) motion tokenizer that made it.
    Returns ``SimpleNamespace(dataset=Path, tokenizer=Path)``."""
    from tdmm_lm.data.schema import load_dataset_dict
    from tdmm_lm.cli import main
    from tdmm_lm.vqvae.dataset import tokenize_dataset
    from tests.tiny import make_tokenizer

    root = tmp_path_factory.mktemp("tokenized")
    raw = root / "raw"
    assert main(["data", "synth", "--out", str(raw), "--num-samples", "60", "--num-subjects", "12"]) == 0
    tok = make_tokenizer(levels=2)
    tok.save_pretrained(root / "motion_tokenizer")
    tokenize_dataset(load_dataset_dict(str(raw)), tok).save_to_disk(str(root / "dataset"))
    return SimpleNamespace(dataset=root / "dataset", tokenizer=root / "motion_tokenizer")


@pytest.fixture(scope="session")
def tiny_lm_run(tiny_tokenized, tmp_path_factory):
    """A TDMM-LM run folder (tiny config-built Qwen3-style LM, full fine-tuning, vocab-mode L2M)
    trained 30 steps on ``tiny_tokenized``: ``TDMMLM.from_pretrained(path)`` and
    ``tdmm_lm.generators.load_generator(path)`` read it. Untrained-quality output: test plumbing."""
    from tdmm_lm.lm.train import train
    from tests.lm.helpers import tiny_lm_config

    out = tmp_path_factory.mktemp("lm") / "run"
    train(tiny_lm_config(tiny_tokenized, out), progress=False)
    return out
