"""Which ``eval/results/*.json`` belong to a checkpoint, and the card section that shows them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tdmm_lm.errors import TdmmError
from tdmm_lm.hub.config import PublishConfig
from tdmm_lm.hub.files import copy_file

# Keys under which a result names the model it measured (``vq_eval`` writes "run", the benchmark
# "checkpoint"); a path under any other key (an input such as "tokenizer" or "dataset") does not
# make the result this model's.
MODEL_KEYS = ("run", "model", "checkpoint", "checkpoints", "models")


def find_results(results_dir: Path, source: Path) -> list[Path]:
    """``results_dir/*.json`` whose ``results`` name ``source`` (its absolute path, its path from
    the working directory, or, for a run's ``best/``, the run folder) under a ``MODEL_KEYS``
    key."""
    src = source.resolve()
    names = {str(src)}
    for p in ([src, src.parent] if src.name in ("best", "last") else [src]):
        names |= {str(p)}
        rel = os.path.relpath(p)
        if not rel.startswith(".."):
            names.add(rel)
    pattern = re.compile("|".join(re.escape(n) + r"(?![\w.-])" for n in sorted(names)))
    found = []
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            results = json.loads(path.read_text(encoding="utf-8")).get("results")
        except (ValueError, AttributeError):
            continue
        named = [v for k, v in json_strings(results)
                 if re.sub(r"\[\d+\]$", "", k).rsplit(".", 1)[-1] in MODEL_KEYS]
        if any(pattern.match(v) for v in named):
            found.append(path)
    return found


def selected_results(config: PublishConfig) -> list[Path]:
    paths = (find_results(config.results_dir, config.source) if config.results is None
             else list(config.results))
    for p in paths:
        if not p.is_file():
            raise TdmmError(f"--results {p}: no such file")
    return paths


def copy_results(config: PublishConfig, folder: Path) -> None:
    """The chosen results (JSON with provenance, and its Markdown table) go into ``eval/``."""
    for path in selected_results(config):
        (folder / "eval").mkdir(exist_ok=True)
        for p in (path, path.with_suffix(".md")):
            if p.is_file():
                copy_file(p, folder / "eval" / p.name, p.parent)


def evaluation_section(config: PublishConfig) -> str:
    """Markdown: each selected result's table (headings demoted under the card's section) and
    where it came from; or a sentence saying none was found."""
    paths = selected_results(config)
    if not paths:
        return ("No file in `eval/results/` names this checkpoint yet; run the benchmark, or "
                "pass `--results FILE` to `tdmm-lm publish`.")
    parts = []
    for path in paths:
        env = json.loads(path.read_text(encoding="utf-8")).get("environment", {})
        md = path.with_suffix(".md")
        table = md.read_text(encoding="utf-8").split("\n## Environment")[0] if md.is_file() else ""
        table = re.sub(r"^(#{1,4}) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", table,
                       flags=re.MULTILINE)
        parts.append(f"From [`eval/{path.name}`](eval/{path.name}) (commit "
                     f"`{env.get('commit', '?')}`, {env.get('date_utc', '?')} UTC, "
                     f"{env.get('machine', {}).get('cpu', '?')}).\n\n{table.strip()}")
    return "\n\n".join(parts)


def json_strings(obj: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string value in a JSON document with its dotted key."""
    if isinstance(obj, str):
        return [(key, obj)]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in json_strings(v, f"{key}.{k}" if key else str(k))]
    if isinstance(obj, list):
        return [s for i, v in enumerate(obj) for s in json_strings(v, f"{key}[{i}]")]
    return []
