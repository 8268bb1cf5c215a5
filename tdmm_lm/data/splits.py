"""Train/validation/test assignment: subject-disjoint (generalise to new people) or per clip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tdmm_lm.errors import TdmmError

METHODS = ("subject", "clip")


@dataclass(frozen=True)
class SplitSpec:
    method: str = "subject"   # "subject": no performer in two splits; "clip": seeded per clip
    validation: float = 0.1   # fraction of subjects (or clips) for validation
    test: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise TdmmError(f"split method must be one of {METHODS}, got {self.method!r}")
        # test 0 (and validation 0) is allowed: motion-only data for a tokenizer mix is all train
        if not (0 <= self.validation < 1 and 0 <= self.test < 1 and self.validation + self.test < 1):
            raise TdmmError("split fractions need 0 <= validation, 0 <= test and validation + test < 1")

    def describe(self) -> str:
        unit = "subjects" if self.method == "subject" else "clips"
        return (f"{self.method}-disjoint split of {unit}: {1 - self.validation - self.test:.0%} "
                f"train / {self.validation:.0%} validation / {self.test:.0%} test, seed {self.seed}")


def assign_splits(ids: list[str], subjects: list[str], spec: SplitSpec) -> dict[str, str]:
    """Map each sample id to ``train``, ``validation`` or ``test``.

    The assignment depends only on the set of unit names and the seed, not on file order:
    rerunning a recipe on the same input gives the same split.
    """
    units = subjects if spec.method == "subject" else ids
    names = sorted(set(units))
    need = 1 + (spec.validation > 0) + (spec.test > 0)
    if len(names) < need:
        raise TdmmError(f"a {spec.method} split needs at least {need} distinct "
                        f"{spec.method}s, found {len(names)}; use --split clip")
    rng = np.random.default_rng(spec.seed)
    order = [names[i] for i in rng.permutation(len(names))]
    n_test = max(1, round(spec.test * len(names))) if spec.test > 0 else 0
    n_val = max(1, round(spec.validation * len(names))) if spec.validation > 0 else 0
    unit_split = {u: "test" for u in order[:n_test]}
    unit_split.update({u: "validation" for u in order[n_test:n_test + n_val]})
    unit_split.update({u: "train" for u in order[n_test + n_val:]})
    return {i: unit_split[u] for i, u in zip(ids, units)}
