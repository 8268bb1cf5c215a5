"""Shared fixtures: the real assets in ../shared (skipped when absent) and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

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
