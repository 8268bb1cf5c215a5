"""Tiny tokenizers and a tiny FaceScript dataset for the VQ-VAE tests."""

from __future__ import annotations

import pytest

from tests.tiny import make_tokenizer, random_motion, tiny_config  # noqa: F401 (re-exported)


@pytest.fixture
def vq_cli(cli, monkeypatch):
    """The ``cli`` fixture with ``vq`` registered (until it is in ``_GROUPS``)."""
    import tdmm_lm.cli as cli_module
    if "vq" not in cli_module._GROUPS:
        monkeypatch.setattr(cli_module, "_GROUPS", tuple(cli_module._GROUPS) + ("vq",))
    return cli
