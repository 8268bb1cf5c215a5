"""What a publish is asked to do (``PublishConfig``), what it did (``PublishReport``), and what
each kind's stager hands back (``Staged``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tdmm_lm.artifacts import REPO_ID
from tdmm_lm.errors import TdmmError

KINDS = ("tokenizer", "llm", "baseline", "dataset")
MARKER = ".tdmm-publish.json"   # written into --out so a rerun may replace it; never uploaded


@dataclass
class PublishConfig:
    """What to publish where. ``results`` None: the ``eval/results/*.json`` files whose results
    name the source folder (so a card never shows another checkpoint's numbers)."""

    kind: str
    source: Path
    repo_id: str
    out: Path | None = None               # the repository folder; default ``<source>-hub``
    private: bool = False
    dry_run: bool = False
    license: str | None = None             # SPDX id for the card; None: a dataset's own, else mit
    datasets: tuple[str, ...] = ()         # Hub ids of the training data, for the card's header
    results: tuple[Path, ...] | None = None
    results_dir: Path = Path("eval/results")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TdmmError(f"cannot publish {self.kind!r}: choose one of {', '.join(KINDS)}")
        _check_repo_id(self.repo_id, "--repo-id")
        for d in self.datasets:
            _check_repo_id(d, "--dataset-id")
        self.source = Path(self.source)
        if not self.source.is_dir():
            raise TdmmError(f"{self.source}: no such folder to publish")
        self.out = Path(self.out) if self.out is not None else self.source.with_name(
            self.source.resolve().name + "-hub")
        src, out = self.source.resolve(), self.out.resolve()
        if out == src or src.is_relative_to(out) or out.is_relative_to(src):
            raise TdmmError(f"--out {self.out} must lie outside {self.source} (and not contain it)")
        if self.out.exists() and any(self.out.iterdir()) and not (self.out / MARKER).is_file():
            raise TdmmError(f"--out {self.out} exists and was not written by `tdmm-lm publish`; "
                            "choose an empty or new folder")
        self.results = None if self.results is None else tuple(Path(p) for p in self.results)

    @property
    def repo_type(self) -> str:
        return "dataset" if self.kind == "dataset" else "model"


def _check_repo_id(repo_id: str, flag: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        repo_id = ""
    if not REPO_ID.fullmatch(repo_id or ""):
        raise TdmmError(f"{flag} must look like owner/name (letters, digits, '-', '_', '.')")


@dataclass
class PublishReport:
    folder: Path
    files: list[str]          # paths inside the repository folder
    checks: list[str]         # what the reload proved, one phrase each
    url: str | None = None    # the Hub page, when uploaded


@dataclass
class Staged:
    """What a kind's stager leaves behind: the card text and a check on a folder."""

    readme: Callable[[list[tuple[str, str]]], str]     # (file, size) rows -> README.md text
    verify: Callable[[Path], list[str]]                 # raises TdmmError on a mismatch
    extra_checks: list[str] = field(default_factory=list)
