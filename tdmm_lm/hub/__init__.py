"""Publish models and datasets to the Hugging Face Hub, and load them back by repo id.

    tdmm-lm publish tokenizer runs/vq_tiny/best --repo-id you/tdmm-vq-tiny --dry-run
    tdmm-lm publish llm runs/lm_tiny --repo-id you/tdmm-lm-tiny [--private]
    tdmm-lm publish baseline runs/mdm_tiny --repo-id you/tdmm-mdm-tiny
    tdmm-lm publish dataset runs/facescript --repo-id you/facescript

Every publish (1) checks the token and the connection (skipped with ``--dry-run``), (2) writes the
exact repository folder (``--out``, default ``<DIR>-hub``): safetensors weights, configs, a card
from a template with license, tags, ``base_model``, datasets, metrics from ``eval/results/`` and a
usage snippet, (3) reloads it from that folder with the loader a user calls and checks that it
reproduces the source on a fixed input, and only then (4) uploads it as one ``upload_folder``
commit. A failed check or a missing token leaves nothing on the Hub.

Loading a published repo back goes through ``tdmm_lm.artifacts.resolve_artifact``, which every
loader calls: a folder, a training run or a Hub repo id.

Modules: config.py · pipeline.py (preflight, build, verify, upload) · models.py and dataset.py
(one stager per kind) · card.py (model card template) · results.py (metrics from eval/results).
"""

from tdmm_lm.hub.config import KINDS, PublishConfig, PublishReport
from tdmm_lm.hub.pipeline import publish

__all__ = ["KINDS", "PublishConfig", "PublishReport", "publish"]
