"""What every dataset recipe shares: validate rows, split, save, write the card and skip log, push.

A recipe turns a source (a folder of takes, a synthetic corpus) into rows of the schema and hands
them to ``write_dataset``. Inputs it cannot use are recorded with ``SkipLog.skip`` and end up in
``skipped.jsonl`` beside the dataset, so nothing is dropped silently.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import datasets
import numpy as np

from tdmm_lm.atomic import atomic_folder
from tdmm_lm.data.card import CardInfo, render_card
from tdmm_lm.data.schema import SPLITS, features, save_dataset_dict, validate_row
from tdmm_lm.data.splits import SplitSpec, assign_splits
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import channels_for

SKIP_LOG = "skipped.jsonl"


@dataclass
class SkipLog:
    """Counts what a recipe read and why it refused what it refused."""

    read: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    strict: bool = False  # raise on the first problem instead of skipping
    # inputs kept but changed on the way in (e.g. lost frames filled, a take split): logged too
    notes: list[dict[str, str]] = field(default_factory=list)

    def note(self, source: str | Path, what: str) -> None:
        self.notes.append({"source": str(source), "note": str(what)})

    def skip(self, source: str | Path, reason: str) -> None:
        if self.strict:
            # reasons from file errors already start with the path
            raise TdmmError(reason if str(source) in reason else f"{source}: {reason}")
        self.skipped.append({"source": str(source), "reason": str(reason)})

    def summary(self) -> str:
        return f"read {self.read} inputs, skipped {len(self.skipped)}"


@dataclass
class DatasetInfo:
    """The card fields a recipe knows about its source."""

    name: str
    source: str
    license: str
    command: str = ""


def write_dataset(rows: Iterable[dict[str, Any]], out: str | Path, *, split: SplitSpec,
                  info: DatasetInfo, log: SkipLog, overwrite: bool = False,
                  push_to_hub: str | None = None, private: bool = False) -> datasets.DatasetDict:
    """Validate, split and save ``rows`` to ``out`` with ``README.md`` and ``skipped.jsonl``.

    Rows that break the schema are skipped and logged. Returns the saved ``DatasetDict``.
    """
    out = Path(out)
    _prepare_out(out, overwrite)
    kept: list[dict[str, Any]] = []
    for row in rows:
        try:
            validate_row(row)
        except TdmmError as e:
            log.skip(row.get("source", row.get("id", "?")), str(e))
            continue
        kept.append(row)
    kept = _one_layout(kept, log)
    if not kept:
        if log.read == 0:
            raise TdmmError("the source produced no inputs at all (check the paths and counts)")
        raise TdmmError(f"no usable samples ({log.summary()}); reasons: "
                        + "; ".join(s["reason"] for s in log.skipped[:3]))
    fmt, num_channels = _layout(kept[0])
    ids = [r["id"] for r in kept]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise TdmmError(f"sample id {dup!r} appears more than once")
    assignment = assign_splits(ids, [r["subject"] for r in kept], split)
    feats = features(num_channels)
    dd = datasets.DatasetDict({
        name: _to_dataset([r for r in kept if assignment[r["id"]] == name], feats)
        for name in SPLITS})
    channels = tuple(kept[0].get("channels") or ())
    card = CardInfo(name=info.name, source=info.source, license=info.license,
                    split_method=split.describe(), read=log.read, skipped=len(log.skipped),
                    channels=channels or channels_for(fmt, num_channels), format=fmt,
                    command=info.command)
    # written beside ``out`` and renamed at the end: --overwrite keeps the old dataset until
    # the new one is complete, and a killed run leaves no half-written folder at ``out``
    with atomic_folder(out, overwrite=True) as tmp:
        save_dataset_dict(dd, str(tmp))
        (tmp / "README.md").write_text(render_card(dd, card), encoding="utf-8")
        with open(tmp / SKIP_LOG, "w", encoding="utf-8") as f:
            for entry in log.skipped + log.notes:   # notes have "note" where skips have "reason"
                f.write(json.dumps(entry) + "\n")
    if push_to_hub:
        push_dataset(dd, out, push_to_hub, private=private)
    return dd


def _layout(row: dict[str, Any]) -> tuple[str, int]:
    return row["format"], np.asarray(row["motion"]).shape[1]


def _one_layout(rows: list[dict[str, Any]], log: SkipLog) -> list[dict[str, Any]]:
    """Keep the most common (format, channel count); log the rest (one dataset, one layout).

    Mixed layouts happen with FLAME fits from different trackers (SMIRK adds eyelids).
    """
    if not rows:
        return rows
    layouts = [_layout(r) for r in rows]
    main = max(dict.fromkeys(layouts), key=layouts.count)  # ties: the first seen
    for row, layout in zip(rows, layouts):
        if layout != main:
            log.skip(row["source"], f"{layout[0]} motion with {layout[1]} channels; this dataset "
                     f"holds {main[0]} with {main[1]} (the most common layout)")
    return [r for r, layout in zip(rows, layouts) if layout == main]


def push_dataset(dd: datasets.DatasetDict, out: Path, repo_id: str, *, private: bool) -> None:
    """Upload with ``datasets``' own ``push_to_hub`` and replace its card with ours."""
    try:
        dd.push_to_hub(repo_id, private=private)
        from huggingface_hub import DatasetCard
        hub_card = DatasetCard.load(repo_id, repo_type="dataset")
        ours = DatasetCard((out / "README.md").read_text(encoding="utf-8"))
        # keep the Hub's dataset_info/configs (it needs them to rebuild Array2D features)
        merged = dict(hub_card.data.to_dict(), **ours.data.to_dict())
        DatasetCard(f"---\n{_yaml(merged)}---\n{ours.text}").push_to_hub(repo_id, repo_type="dataset")
    except Exception as e:  # network, auth and offline errors come in many types
        raise TdmmError(f"could not push to the Hub repo {repo_id!r} ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''}); the dataset is saved at "
                        f"{out}") from None


def _yaml(data: dict) -> str:
    import yaml
    return yaml.safe_dump(data, sort_keys=False)


def _to_dataset(rows: list[dict[str, Any]], feats: datasets.Features) -> datasets.Dataset:
    columns = {name: [r[name] for r in rows] for name in feats}
    columns["motion"] = [np.asarray(m, dtype=np.float32) for m in columns["motion"]]
    return datasets.Dataset.from_dict(columns, features=feats)


def _prepare_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an ``out`` that ``--overwrite`` may not replace; nothing is
    deleted here (``write_dataset`` swaps the new folder in once it is complete)."""
    if out.exists() and not out.is_dir():
        raise TdmmError(f"{out} is a file, not a dataset folder; choose another --out")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise TdmmError(f"{out} exists and is not empty; pass --overwrite or choose another --out")
        if not (out / "dataset_dict.json").exists():
            raise TdmmError(f"{out} is not a dataset folder; refusing to overwrite it")


def report(log: SkipLog, out: Path, dd: datasets.DatasetDict) -> None:
    """Print what a recipe did: counts per split, read/skipped, where the reasons are."""
    counts = ", ".join(f"{k} {len(v)}" for k, v in dd.items())
    print(f"wrote {out} ({counts}); {log.summary()}")
    if log.skipped:
        print(f"warning: {len(log.skipped)} inputs skipped; reasons in {out / SKIP_LOG}",
              file=sys.stderr)
    if log.notes:
        print(f"note: {len(log.notes)} inputs changed on reading (missing frames filled or "
              f"split); details in {out / SKIP_LOG}", file=sys.stderr)


def run_recipe(args, rows: Iterable[dict[str, Any]], info: DatasetInfo, log: SkipLog
               ) -> datasets.DatasetDict:
    """Write ``rows`` as the flags in ``args`` say and print the summary."""
    split = SplitSpec(args.split, args.val_ratio, args.test_ratio, args.split_seed)
    dd = write_dataset(rows, args.out, split=split, info=info, log=log, overwrite=args.overwrite,
                       push_to_hub=args.push_to_hub, private=args.private)
    report(log, Path(args.out), dd)
    return dd


def recipe_main(build_parser, build_rows) -> int:
    """Entry point shared by the scripts in ``data_recipes/``: user errors exit 2 with one line."""
    parser = build_parser()
    args = parser.parse_args()
    try:
        log = SkipLog(strict=args.strict)
        rows, info = build_rows(args, log)
        info.command = " ".join(["python"] + sys.argv)
        run_recipe(args, rows, info, log)
    except TdmmError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
