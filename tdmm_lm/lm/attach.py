"""Join the two halves of a prefix-mode TDMM-LM trained apart (``l2m.train: lm`` and
``l2m.train: prefix``) into one model folder.

    tdmm-lm llm attach-l2m --lm runs/lm_m2l --l2m runs/lm_l2m --out runs/lm_tiny

The halves share nothing while training (the prefix model reads frozen MiniLM features), so
they can train at the same time on two cores; they must have written codes with the same motion
tokenizer, which is checked byte for byte.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tdmm_lm.artifacts import TDMM_LM, resolve_artifact
from tdmm_lm.errors import TdmmError

WEIGHTS = "model.safetensors"


def _best(run: str | Path) -> Path:
    run = Path(run)
    return run / "best" if (run / "best").is_dir() else run


def _digest(folder: Path, what: str) -> str:
    path = folder / "motion_tokenizer" / WEIGHTS
    if not path.is_file():
        raise TdmmError(f"{folder}: has no motion_tokenizer/{WEIGHTS} ({what})")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attach_l2m(lm_run: str | Path, l2m_run: str | Path, out: str | Path) -> Path:
    """Copy the M2L run's model folder to ``out`` with the L2M run's ``prefix/`` in it;
    ``out`` is replaced whole (written beside it, then renamed). Returns ``out``."""
    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.lm.tdmmlm import CONFIG_FILE

    lm = resolve_artifact(lm_run, TDMM_LM)
    l2m = _best(l2m_run)
    if not (l2m / "prefix" / WEIGHTS).is_file():
        raise TdmmError(f"{l2m_run}: not an l2m.train: prefix run (no prefix/{WEIGHTS} in it "
                        "or its best/)")
    if LMConfig.from_yaml(lm / CONFIG_FILE).l2m.mode != "prefix":
        raise TdmmError(f"{lm_run}: is a vocab-mode model (it writes motion itself); attach a "
                        "prefix model only to an l2m.mode: prefix run")
    if _digest(lm, "the M2L run") != _digest(l2m, "the L2M run"):
        raise TdmmError(f"{lm_run} and {l2m_run} were trained on codes of different motion "
                        "tokenizers; train both halves with the same one")
    out = Path(out)
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(lm, staging, ignore=shutil.ignore_patterns("prefix"))
    shutil.copytree(l2m / "prefix", staging / "prefix")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out
