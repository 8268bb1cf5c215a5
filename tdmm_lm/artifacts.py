"""One way to find a model or a dataset: a folder, a training run or a Hub repo id → the folder.

    folder = resolve_artifact("runs/vq_tiny", MOTION_TOKENIZER)      # -> runs/vq_tiny/best
    folder = resolve_artifact("you/tdmm-vq", MOTION_TOKENIZER)       # -> the Hub snapshot
    resolve_artifact("runs/mdm_tiny", MOTION_TOKENIZER)
    # TdmmError: runs/mdm_tiny: is a mdm checkpoint, expected a motion tokenizer

Every loader calls ``resolve_artifact`` first; it accepts

- the artifact folder itself (what ``save_pretrained`` / ``save_to_disk`` wrote),
- a training run, whose ``best/`` holds the artifact (every trainer writes ``RUN/best`` and
  ``RUN/last``; a run with ``last/`` but no ``best/`` yet is refused, whatever marker its
  root carries),
- a Hugging Face Hub repo id ``owner/name`` (downloaded with ``snapshot_download``, or taken
  from the cache; a dataset repo for ``DATASET``),

and returns the folder, or raises one ``TdmmError`` line naming the path and what was expected
and found. The kind is read from the marker file each writer leaves:

| kind | marker |
| --- | --- |
| ``motion-tokenizer`` | ``config.json`` with a ``vq`` section (``MotionTokenizer.save_pretrained``) |
| ``tdmm-lm``, ``mdm``, ``t2m-gpt``, ... | ``generator.json`` ``{"kind": NAME}`` (any registered generator) |
| ``extractor`` | ``extractor.json`` (``tdmm-lm eval train-extractor``) |
| ``dataset`` | ``dataset_dict.json`` (``save_to_disk``) or ``data/*.parquet`` (a published dataset) |

This module sits below every package: it imports only ``errors`` (and ``huggingface_hub`` when
a repo id has to be downloaded).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError

MOTION_TOKENIZER = "motion-tokenizer"
TDMM_LM = "tdmm-lm"
EXTRACTOR = "extractor"
DATASET = "dataset"
GENERATOR = "generator"   # any generator checkpoint (the LM or a baseline), whatever its kind

GENERATOR_FILE = "generator.json"
EXTRACTOR_FILE = "extractor.json"
SAVED_DATASET_FILE = "dataset_dict.json"
REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")

# kind -> (what it is, in an error message; what writes it)
_KINDS = {
    MOTION_TOKENIZER: ("a motion tokenizer", "a tokenizer folder, a `tdmm-lm vq train` run"),
    TDMM_LM: ("a TDMM-LM model", "a `tdmm-lm llm train` run or its best/"),
    EXTRACTOR: ("a benchmark extractor", "the folder `tdmm-lm eval train-extractor` wrote"),
    DATASET: ("a dataset", "a DatasetDict folder (save_to_disk)"),
    GENERATOR: ("a generator checkpoint", "a training run (LM or baseline) or its best/"),
}
_MARKERS = {MOTION_TOKENIZER: "config.json with a 'vq' section", EXTRACTOR: EXTRACTOR_FILE,
            DATASET: SAVED_DATASET_FILE}
_NOT_GENERATORS = (MOTION_TOKENIZER, EXTRACTOR, DATASET)


def resolve_artifact(path_or_repo_id: str | Path, kind: str) -> Path:
    """The local folder of the ``kind`` artifact that ``path_or_repo_id`` names (see the module
    docstring). ``kind``: ``MOTION_TOKENIZER``, ``TDMM_LM``, ``EXTRACTOR``, ``DATASET``,
    ``GENERATOR`` (any generator checkpoint) or a generator's registry name (``"mdm"``)."""
    text = str(path_or_repo_id)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise TdmmError(f"{text}: expected a folder, got a file")
    else:
        path = _download(text, "dataset" if kind == DATASET else "model")
    folder, found = _locate(path)
    if _matches(found, kind):
        return folder
    if found is None and (path / "last").is_dir():
        raise TdmmError(f"{text}: a training run with no best/ yet (no validation has finished); "
                        "train longer, or pass another folder")
    if found is None:
        marker = _MARKERS.get(kind, GENERATOR_FILE)
        raise TdmmError(f"{text}: not {_label(kind)} (no {marker} in it or in its best/); pass "
                        f"{_KINDS.get(kind, _KINDS[GENERATOR])[1]}, or a Hub repo id")
    raise TdmmError(f"{text}: is {_label(found)}, expected {_label(kind)}")


def find_artifact(folder: str | Path, kind: str) -> Path | None:
    """``resolve_artifact`` for a local folder without errors: the artifact folder, or None
    when ``folder`` (or its ``best/``) holds no ``kind`` artifact."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found_in, found = _locate(folder)
    return found_in if _matches(found, kind) else None


def artifact_kind(folder: str | Path) -> str | None:
    """The kind of artifact ``folder`` itself holds, by its marker file (None: none). For a
    generator checkpoint, the registry name in its ``generator.json``."""
    folder = Path(folder)
    if (folder / GENERATOR_FILE).is_file():
        kind = _read_json(folder / GENERATOR_FILE).get("kind")
        if not isinstance(kind, str) or not kind:
            raise TdmmError(f"{folder / GENERATOR_FILE}: expected a JSON object with a 'kind' field")
        return kind
    if (folder / EXTRACTOR_FILE).is_file():
        return EXTRACTOR
    if (folder / SAVED_DATASET_FILE).is_file() or any(folder.glob("data/*.parquet")):
        return DATASET
    if (folder / "config.json").is_file() and "vq" in _read_json(folder / "config.json"):
        return MOTION_TOKENIZER
    return None


def write_generator_kind(folder: str | Path, kind: str, **extra) -> None:
    """Mark a checkpoint folder as a ``kind`` generator (``generator.json``)."""
    atomic_write_text(Path(folder) / GENERATOR_FILE,
                      json.dumps({"kind": kind, **extra}, indent=2) + "\n")


def _locate(folder: Path) -> tuple[Path, str | None]:
    """``folder``, or its ``best/`` when it is a training run, with the kind found there (None
    for a run without ``best/``: a run root may carry a marker, ``generator.json``, without the
    model files)."""
    best = folder / "best"
    if best.is_dir():
        kind = artifact_kind(best)
        if kind is not None:
            return best, kind
    if (folder / "last").is_dir():
        return folder, None
    return folder, artifact_kind(folder)


def _matches(found: str | None, kind: str) -> bool:
    if found is None:
        return False
    return found == kind or (kind == GENERATOR and found not in _NOT_GENERATORS)


def _label(kind: str) -> str:
    return _KINDS[kind][0] if kind in _KINDS else f"a {kind} checkpoint"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TdmmError(f"{path}: not readable JSON ({first_line(e)})") from None
    return data if isinstance(data, dict) else {}


def _download(text: str, repo_type: str) -> Path:
    """The Hub repo ``text`` (``owner/name``) as a local snapshot folder."""
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
    """Whether the Hugging Face Hub is switched off (``HF_HUB_OFFLINE``)."""
    from huggingface_hub import constants
    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").lower() in (
        "1", "true", "yes", "on")


def load_errors() -> tuple[type[BaseException], ...]:
    """What a damaged model folder raises while loading (files, JSON, safetensors headers,
    shapes), so loaders can turn it into one line naming the folder."""
    from safetensors import SafetensorError
    return (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError)


def first_line(e: BaseException) -> str:
    """``Type: first line of the message`` of an exception, for one-line errors."""
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__
