"""``tdmm-lm llm merge-and-export RUN --out DIR``: a LoRA run as full weights.

The LoRA update and the trainable motion-token rows are merged into the base
(``merge_and_unload``); DIR is a complete run folder whose ``model/`` is also a plain Hugging Face
model directory (weights + tokenizer with the motion tokens and chat template), loadable with
``AutoModelForCausalLM`` anywhere and usable as ``--base-model`` for further fine-tuning.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tdmm_lm.errors import TdmmError


def merge_and_export(run: str | Path, out: str | Path) -> Path:
    """Write the merged run to ``out``; a full-weights run is copied as it is."""
    from tdmm_lm.lm.tdmmlm import TDMMLM

    if Path(out).resolve() == Path(run).resolve():
        raise TdmmError("--out must differ from the run folder")
    lm = TDMMLM.from_pretrained(str(run))
    if hasattr(lm.model, "peft_config"):
        lm.model = lm.model.merge_and_unload()
        lm.cfg = dataclasses.replace(lm.cfg, model=dataclasses.replace(lm.cfg.model, finetune="full"))
        lm.base_folder = None
    lm.save_pretrained(out)
    return Path(out)
