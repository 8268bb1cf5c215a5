"""A folder or a Hugging Face Hub repo id → a local folder; whether the Hub is offline."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tdmm_lm.errors import TdmmError

REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


def resolve_model_folder(path_or_repo_id: str | Path, *, repo_type: str = "model") -> Path:
    """A local folder as it is; otherwise the Hub repo ``owner/name`` downloaded (or taken from
    the cache) with ``snapshot_download``. ``TdmmError`` with one line when neither works."""
    text = str(path_or_repo_id)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise TdmmError(f"{text}: expected a folder, got a file")
        return path
    if not REPO_ID.fullmatch(text):
        raise TdmmError(f"{text}: no such folder (and not a Hub repo id owner/name)")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(text, repo_type=repo_type))
    except Exception as e:   # offline, unknown repo, auth and network errors come in many types
        if hub_offline():
            raise TdmmError(f"{text}: no such local folder, and the Hub is offline "
                            "(HF_HUB_OFFLINE=1) with no cached copy; pass a folder or go online"
                            ) from None
        raise TdmmError(f"{text}: no such local folder and cannot download it from the Hub "
                        f"({first_line(e)})") from None


def hub_offline() -> bool:
    from huggingface_hub import constants
    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").lower() in (
        "1", "true", "yes", "on")


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__
