"""The publish pipeline: preflight, build into a scratch folder, verify, move into place, upload."""

from __future__ import annotations

import json
from pathlib import Path

from tdmm_lm.artifacts import first_line, hub_offline
from tdmm_lm.atomic import atomic_folder
from tdmm_lm.errors import TdmmError
from tdmm_lm.hub.config import MARKER, PublishConfig, PublishReport
from tdmm_lm.hub.dataset import stage_dataset
from tdmm_lm.hub.files import check_links, check_staged
from tdmm_lm.hub.models import stage_baseline, stage_llm, stage_tokenizer
from tdmm_lm.hub.results import copy_results, json_strings

# Weight formats that unpickle on load: a published repo holds safetensors only.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
STAGERS = {"tokenizer": stage_tokenizer, "llm": stage_llm, "baseline": stage_baseline,
           "dataset": stage_dataset}


def publish(config: PublishConfig) -> PublishReport:
    """Preflight (unless dry run), build and verify ``config.out``, then upload it."""
    if not config.dry_run:
        preflight(config.repo_id)
    folder = build(config)
    report = PublishReport(folder, repo_files(folder), json.loads(
        (folder / MARKER).read_text())["checks"])
    if not config.dry_run:
        report.url = upload(folder, config.repo_id, config.repo_type, private=config.private,
                            message=f"Publish {config.kind} with tdmm-lm")
    return report


def preflight(repo_id: str) -> None:
    """Fail before any work when the upload cannot happen: offline, no token, no connection."""
    if hub_offline():
        raise TdmmError(f"cannot publish to {repo_id}: the Hugging Face Hub is offline "
                        "(HF_HUB_OFFLINE=1); unset it, or pass --dry-run to only build the folder")
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise TdmmError(f"cannot publish to {repo_id}: no Hugging Face token (run `hf auth login` "
                        "or set HF_TOKEN), or pass --dry-run to only build the folder")
    try:
        HfApi().whoami(token=token)
    except Exception as e:   # network and auth errors come in many types
        raise TdmmError(f"cannot publish to {repo_id}: the Hub did not accept the token or cannot "
                        f"be reached ({first_line(e)}); nothing was uploaded") from None


def upload(folder: Path, repo_id: str, repo_type: str, *, private: bool, message: str) -> str:
    """One ``upload_folder`` commit (all files or none) into a repo created if needed."""
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=repo_type,
                                   commit_message=message, ignore_patterns=[MARKER])
    except Exception as e:
        raise TdmmError(f"upload to {repo_id} failed ({first_line(e)}); nothing was committed, "
                        f"the verified folder is {folder}") from None
    return str(getattr(commit, "repo_url", "") or f"https://huggingface.co/{repo_id}")


def build(config: PublishConfig) -> Path:
    """Write into a scratch sibling of ``out``, verify that very folder, then rename it to
    ``out`` (the folder that is uploaded is the one verified). A scratch folder left by a
    killed publish is removed by the next one (``tdmm_lm.atomic``)."""
    check_links(config.source)   # before any work: nothing outside the folder is read
    with atomic_folder(config.out, overwrite=True) as scratch:
        staged = STAGERS[config.kind](config, scratch)
        copy_results(config, scratch)
        rows = [(f, human_size((scratch / f).stat().st_size)) for f in repo_files(scratch)
                if f != "README.md"]
        (scratch / "README.md").write_text(staged.readme(rows), encoding="utf-8")
        checks = (check_repo_files(scratch) + check_staged(scratch) + staged.verify(scratch)
                  + staged.extra_checks)
        (scratch / MARKER).write_text(json.dumps(
            {"kind": config.kind, "source": str(config.source.resolve()),
             "repo_id": config.repo_id, "checks": checks}, indent=2) + "\n")
    return config.out


def check_repo_files(folder: Path) -> list[str]:
    """No pickled weights; no config value pointing at a local path outside the folder."""
    pickled = [f for f in repo_files(folder) if f.lower().endswith(PICKLE_SUFFIXES)]
    if pickled:
        raise TdmmError(f"{pickled[0]}: pickle-based weights cannot be published; save "
                        "safetensors instead")
    if not any(f.endswith(".safetensors") for f in repo_files(folder)) and not any(
            f.endswith(".parquet") for f in repo_files(folder)):
        raise TdmmError(f"{folder}: no .safetensors weights were written")
    for path in folder.rglob("*.json"):
        if path.relative_to(folder).parts[0] == "eval":
            continue    # provenance records name where a result was measured; not loaded
        for key, value in json_strings(json.loads(path.read_text(encoding="utf-8"))):
            if value.startswith("/") and Path(value).exists() and not Path(value).resolve(
            ).is_relative_to(folder.resolve()):
                raise TdmmError(f"{path.relative_to(folder)} field {key!r} points at the local "
                                f"path {value}, which Hub users do not have; save a copy inside "
                                "the model folder instead")
    return ["no pickled weights, no local paths in configs"]


def repo_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not p.is_symlink() and p.name != MARKER)


def human_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)
