"""Fixtures: the shared real assets (skip cleanly when ../shared is absent) and small models."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_ASSETS = Path(__file__).resolve().parents[2].parent / "shared" / "assets"


def shared_asset(relative: str) -> Path:
    """Path of a file under ../shared/assets, or skip the test when it is not there."""
    path = SHARED_ASSETS / relative
    if not path.is_file():
        pytest.skip(f"shared asset {relative} not available (no ../shared)")
    return path


@pytest.fixture
def ict_rig_path() -> Path:
    return shared_asset("ict_facekit/ict_arkit_rig.npz")


@pytest.fixture
def take_csv() -> Path:
    return shared_asset("livelinkface/MySlate_3_Jason_Millers_iPhone.csv")


@pytest.fixture(scope="session")
def synthetic_flame_dir(tmp_path_factory) -> Path:
    from tdmm_lm.geometry.flame import make_synthetic_flame_model
    return make_synthetic_flame_model(tmp_path_factory.mktemp("flame"), n_vertices=400, seed=1)
