"""Dataset cards: the ``README.md`` that ``save_to_disk`` folders and Hub repos carry."""

from __future__ import annotations

from dataclasses import dataclass

import datasets
import numpy as np
import yaml

from tdmm_lm.motion.formats import get_format


@dataclass
class CardInfo:
    name: str              # e.g. "FaceScript (synthetic)"
    source: str            # how the data was made, one paragraph
    license: str           # SPDX id or "other"
    split_method: str      # SplitSpec.describe()
    read: int              # inputs read
    skipped: int           # inputs refused (reasons in skipped.jsonl)
    channels: tuple[str, ...]
    format: str
    command: str = ""      # the command that built the dataset


def split_stats(ds: datasets.DatasetDict) -> dict[str, dict[str, float]]:
    """Samples, subjects and durations (seconds) per split."""
    out = {}
    for split, part in ds.items():
        frames = np.array([len(m) for m in part.with_format("numpy")["motion"]], dtype=np.float64)
        fps = np.asarray(part["fps"], dtype=np.float64)
        seconds = frames / fps if len(part) else np.zeros(1)
        out[split] = {"samples": len(part), "subjects": len(set(part["subject"])),
                      "hours": float(seconds.sum() / 3600), "mean_s": float(seconds.mean()),
                      "min_s": float(seconds.min()), "max_s": float(seconds.max()),
                      "fps": sorted({float(f) for f in fps})}
    return out


def render_card(ds: datasets.DatasetDict, info: CardInfo) -> str:
    """A dataset card with a YAML header the Hub reads and the numbers a user checks first."""
    stats = split_stats(ds)
    header = {"license": info.license, "pretty_name": info.name,
              "tags": ["facial-motion", info.format, "tdmm-lm"],
              "task_categories": ["text-generation"]}
    rows = "\n".join(
        f"| {split} | {s['samples']} | {s['subjects']} | {s['hours'] * 60:.1f} | {s['mean_s']:.2f} "
        f"| {s['min_s']:.2f} | {s['max_s']:.2f} | {', '.join(f'{f:g}' for f in s['fps'])} |"
        for split, s in stats.items())
    fmt = get_format(info.format)
    groups = fmt.groups(info.channels)
    channel_lines = "\n".join(f"- **{g}**: {', '.join(info.channels[i] for i in idx)}"
                              for g, idx in groups.items())
    return f"""---
{yaml.safe_dump(header, sort_keys=False).strip()}
---

# {info.name}

{info.source}

Format **{info.format}** ({fmt.description}), {len(info.channels)} channels.
Split: {info.split_method}.
Inputs read: {info.read}; skipped: {info.skipped} (reasons in `skipped.jsonl`).

| split | samples | subjects | minutes | mean s | min s | max s | fps |
| --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

## Columns
`id`, `subject`, `text`, `texts` (paraphrases, including `text`; both empty in motion-only
rows), `motion` (frames x channels,
float32), `fps`, `format`, `attributes` (JSON ground truth where known), `source`.

## Channels
{channel_lines}

## Load
```python
import datasets
ds = datasets.load_from_disk("PATH")   # or datasets.load_dataset("REPO_ID")
```

## How it was built
```
{info.command or '(not recorded)'}
```
"""


def dataset_summary(ds: datasets.DatasetDict) -> dict:
    """What ``tdmm-lm data inspect`` reports: per-split stats, format, channel count, whether
    subjects overlap between splits, and how many rows carry ground-truth attributes."""
    import json

    first = next(iter(ds.values()))
    subjects = {split: set(part["subject"]) for split, part in ds.items()}
    overlap = {f"{a}/{b}": sorted(subjects[a] & subjects[b] - {"unknown"})
               for i, a in enumerate(ds) for b in list(ds)[i + 1:]}
    with_attributes = {split: sum(1 for a in part["attributes"] if json.loads(a))
                       for split, part in ds.items()}
    return {
        "format": first[0]["format"] if len(first) else None,
        "num_channels": first.features["motion"].shape[1],
        "columns": first.column_names,
        "splits": split_stats(ds),
        "subject_overlap": {k: v for k, v in overlap.items() if v},
        "rows_with_attributes": with_attributes,
        # motion-only rows: fine for tokenizers, refused by the text trainers
        "rows_without_text": {split: sum(1 for t in part["text"] if not t) for split, part in ds.items()},
    }


def format_dataset_summary(summary: dict) -> str:
    lines = [f"format {summary['format']} ({summary['num_channels']} channels); columns: "
             f"{', '.join(summary['columns'])}",
             "split        samples  subjects  minutes  mean s   fps   with attributes  without text"]
    for split, s in summary["splits"].items():
        lines.append(f"{split:<12}{s['samples']:>8}{s['subjects']:>10}{s['hours'] * 60:>9.1f}"
                     f"{s['mean_s']:>8.2f}  {','.join(f'{f:g}' for f in s['fps']):>5}"
                     f"{summary['rows_with_attributes'][split]:>10}"
                     f"{summary['rows_without_text'][split]:>14}")
    overlap = summary["subject_overlap"]
    lines.append("subjects overlap between splits: " + (
        "; ".join(f"{k}: {len(v)}" for k, v in overlap.items()) if overlap else "none"))
    return "\n".join(lines)
