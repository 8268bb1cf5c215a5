"""Geometry fixtures: a small synthetic FLAME-format model (the real assets are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synthetic_flame_dir(tmp_path_factory) -> Path:
    from tdmm_lm.geometry.flame import make_synthetic_flame_model
    return make_synthetic_flame_model(tmp_path_factory.mktemp("flame"), n_vertices=400, seed=1)
