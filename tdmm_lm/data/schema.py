"""The dataset schema every recipe writes and every stage reads (Hugging Face ``datasets``).

| column | type | meaning |
| --- | --- | --- |
| id | string | unique sample id |
| subject | string | performer/identity id, for subject-disjoint splits |
| text | string | the primary description; ``""`` in a motion-only row |
| texts | list of string | all descriptions/paraphrases (includes ``text``); ``[]`` in a motion-only row |
| motion | Array2D(None, D) float32 | frames x channels in the dataset's format |
| fps | float32 | frames per second of ``motion`` |
| format | string | ``arkit61`` or ``flame`` |
| attributes | string (JSON) | ground truth where known (FaceScript), ``{}`` otherwise |
| source | string | provenance (file path or generator seed) |
| codes | list of int32 | added later by the motion tokenizer |

Motion-only rows (no description: BEAT2, a folder of uncaptioned takes) are valid: motion
tokenizers need only motion. Trainers that learn from text call ``require_texts`` first.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import datasets
import numpy as np

from tdmm_lm.artifacts import DATASET, SAVED_DATASET_FILE, resolve_artifact
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import channels_for, get_format
from tdmm_lm.motion.types import Motion

COLUMNS = ("id", "subject", "text", "texts", "motion", "fps", "format", "attributes", "source")
SPLITS = ("train", "validation", "test")


def features(num_channels: int, *, with_codes: bool = False) -> datasets.Features:
    """``datasets.Features`` of the schema for motions with ``num_channels`` channels."""
    spec = {
        "id": datasets.Value("string"),
        "subject": datasets.Value("string"),
        "text": datasets.Value("string"),
        "texts": datasets.List(datasets.Value("string")),
        "motion": datasets.Array2D(shape=(None, num_channels), dtype="float32"),
        "fps": datasets.Value("float32"),
        "format": datasets.Value("string"),
        "attributes": datasets.Value("string"),
        "source": datasets.Value("string"),
    }
    if with_codes:
        spec["codes"] = datasets.List(datasets.Value("int32"))
    return datasets.Features(spec)


def validate_row(row: Mapping[str, Any]) -> None:
    """Raise ``TdmmError`` naming the sample and field when a row breaks the schema."""
    where = f"sample {row.get('id', '?')!r}"
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise TdmmError(f"{where}: missing fields {missing}")
    if row["texts"] or row["text"]:   # else a motion-only row
        if not row["text"] or row["text"] not in row["texts"]:
            raise TdmmError(f"{where}: 'text' must be non-empty and one of 'texts' (or both "
                            "empty for a motion-only row)")
    motion = np.asarray(row["motion"])
    fmt = get_format(row["format"])
    if motion.ndim != 2 or motion.shape[0] == 0:
        raise TdmmError(f"{where}: 'motion' must be [frames > 0, channels], got {motion.shape}")
    if fmt.name == "arkit61" and motion.shape[1] != len(fmt.channels):
        raise TdmmError(f"{where}: arkit61 motion needs 61 channels, got {motion.shape[1]}")
    if not np.isfinite(motion).all():
        raise TdmmError(f"{where}: 'motion' has non-finite values")
    if not float(row["fps"]) > 0:
        raise TdmmError(f"{where}: 'fps' must be positive")
    try:
        json.loads(row["attributes"])
    except (TypeError, ValueError):
        raise TdmmError(f"{where}: 'attributes' must be a JSON string") from None


def row_motion(row: Mapping[str, Any]) -> Motion:
    """A dataset row (or a generated sample) as a ``Motion``; channel names come from the format
    and channel count, and ``meta`` keeps the id, subject, text and source."""
    data = np.asarray(row["motion"], dtype=np.float32)
    meta = {k: row[k] for k in ("id", "subject", "text", "source") if k in row}
    return Motion(data, float(row["fps"]), row["format"], channels_for(row["format"], data.shape[1]),
                  meta=meta)


def split_motions(split: datasets.Dataset, limit: int | None = None) -> list[Motion]:
    """The motions of a split (the first ``limit`` rows when given), as ``Motion`` objects."""
    n = len(split) if limit is None else min(limit, len(split))
    cols = split.select_columns(["id", "subject", "motion", "fps", "format"]).select(range(n))
    cols = cols.with_format("numpy", columns=["motion"], output_all_columns=True)
    return [row_motion(r) for r in cols]


def save_dataset_dict(dd: datasets.DatasetDict, folder: str) -> None:
    """``dd.save_to_disk(folder)``, with empty splits written as one empty shard: ``datasets``
    writes an empty split as zero shards, which its own ``load_from_disk`` then cannot read
    (IndexError; a recipe run with ``--val-ratio 0`` made such a folder)."""
    dd.save_to_disk(str(folder), num_shards={name: 1 for name, part in dd.items() if len(part) == 0})


def load_dataset_dict(path: str) -> datasets.DatasetDict:
    """The DatasetDict in a ``save_to_disk`` folder, a published folder of parquet shards or a
    Hub dataset repo id (``tdmm_lm.artifacts``), with one-line errors."""
    folder = resolve_artifact(path, DATASET)
    try:
        ds = (datasets.load_from_disk(str(folder)) if (folder / SAVED_DATASET_FILE).is_file()
              else datasets.load_dataset(str(folder)))
    except (FileNotFoundError, ValueError) as e:
        raise TdmmError(f"{path}: not a readable dataset ({e})") from None
    except IndexError:   # a split saved as zero shards (save_dataset_dict avoids writing one)
        raise TdmmError(f"{path}: a split was saved with no data file (an empty split written "
                        f"by datasets' save_to_disk); write the dataset again") from None
    if not isinstance(ds, datasets.DatasetDict):
        raise TdmmError(f"{path}: holds a single Dataset, expected a DatasetDict with splits")
    for split, part in ds.items():
        missing = [c for c in COLUMNS if c not in part.column_names]
        if missing:
            raise TdmmError(f"{path}: split {split!r} lacks columns {missing}")
    return ds


def require_texts(dd: datasets.DatasetDict, where: str,
                  splits: tuple[str, ...] = ("train", "validation")) -> None:
    """One-line error when a split in ``splits`` has motion-only rows (no description): for the
    trainers that learn from text (LM, baselines, extractor)."""
    for split in splits:
        if split not in dd:
            continue
        missing = sum(1 for t in dd[split]["text"] if not t)
        if missing:
            raise TdmmError(f"{where}: {missing} of {len(dd[split])} {split!r} rows have no "
                            "description (motion-only data); this trainer learns from text: "
                            "caption them (tdmm-lm data autocaption) or use the data for a motion "
                            "tokenizer only")


def require_splits(dd: datasets.DatasetDict, where: str,
                   splits: tuple[str, ...] = ("train", "validation")) -> None:
    """One-line error unless every split in ``splits`` is there and non-empty (trainers need both)."""
    for split in splits:
        if split not in dd or len(dd[split]) == 0:
            raise TdmmError(f"{where}: needs a non-empty {split!r} split")
