"""Flat YAML configs as typed dataclasses: unknown keys and wrong types are one-line errors that
name the file and the field. Shared by the benchmark files, the extractor, quickstart presets
and (``read_yaml``) the trainers' configs."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tdmm_lm.errors import TdmmError

T = TypeVar("T")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file (``TdmmError`` when missing, invalid or not a mapping)."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise TdmmError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise TdmmError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TdmmError(f"{path}: expected a mapping of fields at the top level")
    return raw


def from_mapping(cls: type[T], raw: dict[str, Any], where: str) -> T:
    """``cls(**raw)`` with YAML's int/float/str looseness fixed and errors naming ``where``."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TdmmError(f"{where}: unknown field(s) {unknown}; known: {sorted(known)}")
    values = {}
    for key, value in raw.items():
        kind = hints[key]
        if kind is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            try:
                value = float(value)   # YAML reads 1e-3 as a string and 1 as an int
            except ValueError:
                raise TdmmError(f"{where}: field {key!r} must be a number, got {value!r}") from None
        elif kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise TdmmError(f"{where}: field {key!r} must be an integer, got {value!r}")
        elif kind is str and not isinstance(value, str):
            raise TdmmError(f"{where}: field {key!r} must be a string, got {value!r}")
        values[key] = value
    try:
        return cls(**values)
    except TdmmError as e:
        raise TdmmError(f"{where}: {e}") from None
    except (TypeError, ValueError) as e:
        raise TdmmError(f"{where}: {e}") from None


def check(ok: bool, field: str, problem: str) -> None:
    """Raise ``TdmmError("FIELD PROBLEM")`` unless ``ok`` (for ``__post_init__`` checks)."""
    if not ok:
        raise TdmmError(f"{field} {problem}")


def save_yaml(config: Any, path: str | Path, header: str = "") -> None:
    """A dataclass as YAML (``header``: comment lines written first)."""
    Path(path).write_text(header + yaml.safe_dump(dataclasses.asdict(config), sort_keys=False))
