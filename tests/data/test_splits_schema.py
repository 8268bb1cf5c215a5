import numpy as np
import pytest

from tdmm_lm.data.schema import validate_row
from tdmm_lm.data.splits import SplitSpec, assign_splits
from tdmm_lm.errors import TdmmError


def test_subject_split_is_disjoint_deterministic_and_order_free():
    ids = [f"s{i}" for i in range(400)]
    subjects = [f"p{i % 40}" for i in range(400)]
    spec = SplitSpec("subject", 0.1, 0.1, seed=3)
    a = assign_splits(ids, subjects, spec)
    by_split = {}
    for i, s in zip(ids, subjects):
        by_split.setdefault(a[i], set()).add(s)
    assert {k: len(v) for k, v in by_split.items()} == {"train": 32, "validation": 4, "test": 4}
    assert not (by_split["train"] & by_split["test"]) and not (by_split["validation"] & by_split["test"])
    b = assign_splits(ids[::-1], subjects[::-1], spec)
    assert a == b
    assert a != assign_splits(ids, subjects, SplitSpec("subject", 0.1, 0.1, seed=4))


def test_clip_split_and_errors():
    ids = [f"c{i}" for i in range(10)]
    a = assign_splits(ids, ["unknown"] * 10, SplitSpec("clip", 0.2, 0.2))
    assert sorted(a.values()).count("test") == 2
    with pytest.raises(TdmmError, match="--split clip"):
        assign_splits(ids, ["unknown"] * 10, SplitSpec("subject"))
    with pytest.raises(TdmmError):
        SplitSpec("random")
    with pytest.raises(TdmmError):
        SplitSpec("clip", 0.5, 0.6)
    with pytest.raises(TdmmError):
        SplitSpec("clip", 0.1, -0.1)


def test_all_train_split_for_motion_only_data():
    # a tokenizer's motion-only mix wants every take in train: test 0 and validation 0 allowed
    ids = [f"c{i}" for i in range(5)]
    assert set(assign_splits(ids, ids, SplitSpec("subject", 0.0, 0.0)).values()) == {"train"}
    a = assign_splits(ids, ["u"] * 5, SplitSpec("clip", 0.0, 0.2))
    assert sorted(a.values()) == ["test"] + ["train"] * 4


def _row(**changes):
    row = dict(id="x", subject="p", text="a smile", texts=["a smile"], motion=np.zeros((3, 61)),
               fps=30.0, format="arkit61", attributes="{}", source="s")
    row.update(changes)
    return row


@pytest.mark.parametrize("changes,word", [
    ({"text": "other"}, "text"), ({"motion": np.zeros((0, 61))}, "motion"),
    ({"motion": np.full((2, 61), np.nan)}, "non-finite"), ({"fps": 0}, "fps"),
    ({"attributes": "{not json"}, "attributes"), ({"motion": np.zeros((3, 60))}, "61"),
])
def test_validate_row_names_the_problem(changes, word):
    validate_row(_row())
    with pytest.raises(TdmmError, match=word):
        validate_row(_row(**changes))
