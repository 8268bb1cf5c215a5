"""The ``codes`` column a motion tokenizer adds to a DatasetDict.

    dd = tokenize_dataset(load_dataset_dict(DIR), tokenizer)     # every split gains `codes`
"""

from __future__ import annotations

import datasets
import numpy as np

from tdmm_lm.data.schema import features, row_motion
from tdmm_lm.errors import TdmmError


def tokenize_dataset(dd: datasets.DatasetDict, tokenizer, *, batch_size: int = 64
                     ) -> datasets.DatasetDict:
    """``dd`` with a ``codes`` column (list of int32, layout in tokenizer.py) on every split."""
    first = next(iter(dd.values()))
    num_channels = first.features["motion"].shape[1]
    feats = features(num_channels, with_codes=True)
    extra = [c for c in first.column_names if c not in feats]
    if extra:
        raise TdmmError(f"dataset has columns the schema does not know: {extra}")

    def encode(batch: dict[str, list]) -> dict[str, list]:
        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        codes = tokenizer.encode_batch([row_motion(r) for r in rows], batch_size=batch_size)
        # int32 numpy arrays, or datasets stores Python ints as int64 before casting
        return {"codes": [np.asarray(c, dtype=np.int32) for c in codes]}

    out = {}
    for name, split in dd.items():
        if "codes" in split.column_names:
            split = split.remove_columns("codes")
        out[name] = split.map(encode, batched=True, batch_size=batch_size, features=feats,
                              desc=f"tokenizing {name}")
    return datasets.DatasetDict(out)

