"""A folder or a Hub repo id → a local folder, with one-line errors offline."""

from __future__ import annotations

import pytest

from tdmm_lm.errors import TdmmError
from tdmm_lm.hub import hub_offline, resolve_model_folder


def test_a_local_folder_is_returned_as_is(tmp_path):
    assert resolve_model_folder(str(tmp_path)) == tmp_path


def test_a_file_or_a_missing_path_is_refused(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(TdmmError, match="expected a folder, got a file"):
        resolve_model_folder(tmp_path / "f.txt")
    with pytest.raises(TdmmError, match=r"no such folder \(and not a Hub repo id owner/name\)"):
        resolve_model_folder(tmp_path / "a" / "b" / "c")


def test_an_uncached_repo_id_offline_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_offline()
    with pytest.raises(TdmmError) as e:
        resolve_model_folder("nobody-tdmm/not-cached-anywhere")
    assert str(e.value) == ("nobody-tdmm/not-cached-anywhere: no such local folder, and the Hub "
                            "is offline (HF_HUB_OFFLINE=1) with no cached copy; pass a folder or "
                            "go online")
