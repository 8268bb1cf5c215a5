"""The one config system: YAML files as typed (nested) dataclasses.

Every config type (tokenizer, LM, baselines, extractor, benchmark, quickstart preset) is read
here: unknown keys and wrong types are one-line errors that name the file and the dotted key,
YAML tags that would build Python objects are refused (``yaml.safe_load``), and ``--set
key=value`` overrides go through the same checks as the file.

    cfg = load_config(VQConfig, "configs/vqvae/tiny.yaml", ["train.steps=200"])
    save_config(cfg, run / "config.yaml")          # the resolved config, beside checkpoints

A dataclass whose field type depends on a sibling value (the baselines' ``model`` section is an
MDM or a T2M-GPT config by ``kind``) defines ``field_type(name, raw) -> type``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Iterable, TypeVar

import yaml

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError

T = TypeVar("T")


class ConfigMixin:
    """``from_yaml``/``from_dict``/``to_dict``/``save_yaml`` for a config dataclass."""

    @classmethod
    def from_yaml(cls: type[T], path: str | Path, overrides: Iterable[str] | dict | None = None) -> T:
        return load_config(cls, path, overrides)

    @classmethod
    def from_dict(cls: type[T], raw: Any, where: str = "config") -> T:
        return build(cls, raw, where)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save_yaml(self, path: str | Path, header: str = "") -> None:
        save_config(self, path, header)

    def with_overrides(self: T, overrides: Iterable[str] | dict, where: str = "overrides") -> T:
        """A copy with ``["train.steps=10"]`` or ``{"train.steps": 10}`` applied and checked."""
        raw = dataclasses.asdict(self)
        apply_overrides(raw, overrides, where)
        return build(type(self), raw, where)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file (``TdmmError`` when missing, invalid or not a mapping)."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise TdmmError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:   # includes !!python/object tags: safe_load builds no objects
        raise TdmmError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TdmmError(f"{path}: expected a mapping of fields at the top level")
    return raw


def load_config(cls: type[T], path: str | Path, overrides: Iterable[str] | dict | None = None) -> T:
    """``cls`` from the YAML file ``path`` with ``overrides`` (``key=value`` strings or a dict of
    dotted keys) applied; every error names the file (or the override) and the key."""
    raw = read_yaml(path)
    if overrides:
        apply_overrides(raw, overrides, f"{path} (--set)")
    return build(cls, raw, str(path))


def parse_overrides(items: Iterable[str], where: str) -> dict[str, Any]:
    """``["train.lr=3e-4", "data.tasks={describe: 1}"]`` -> dotted keys with YAML-read values."""
    parsed = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise TdmmError(f"{where}: expected key=value, got {item!r}")
        try:
            parsed[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError as e:
            raise TdmmError(f"{where}: {key.strip()}: value is not valid YAML "
                            f"({str(e).splitlines()[0]})") from None
    return parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str] | dict, where: str) -> dict:
    """Set dotted keys in ``raw`` in place (``key=value`` strings or a dict of dotted keys);
    unknown keys and wrong types are caught by ``build``."""
    if not isinstance(overrides, dict):
        overrides = parse_overrides(overrides, where)
    for key, value in overrides.items():
        *parents, last = key.split(".")
        node = raw
        for i, p in enumerate(parents):
            child = node.setdefault(p, {})
            if child is None:
                child = node[p] = {}
            if not isinstance(child, dict):
                raise TdmmError(f"{where}: {'.'.join(parents[:i + 1])} is not a section, "
                                f"cannot set {key}")
            node = child
        node[last] = value
    return raw


def build(cls: type[T], raw: Any, where: str, prefix: str = "") -> T:
    """``cls(**raw)`` recursing into nested dataclass fields, with types checked (YAML's int for
    a float and ``1e-3`` read as a string are fixed) and errors naming ``where`` and the key."""
    if not isinstance(raw, dict):
        raise TdmmError(f"{where}: {prefix.rstrip('.') or 'the config'} must be a mapping, "
                        f"got {_kind(raw)}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise TdmmError(f"{where}: unknown key(s) {[prefix + str(u) for u in unknown]}; "
                        f"known here: {known}")
    values = {}
    for name in known:
        if name not in raw:
            continue
        try:
            kind = cls.field_type(name, raw) if hasattr(cls, "field_type") else hints[name]
        except TdmmError as e:
            raise TdmmError(f"{where}: {e}") from None
        values[name] = _convert(raw[name], kind, where, prefix + name)
    try:
        return cls(**values)
    except TdmmError as e:
        raise TdmmError(f"{where}: {e}") from None
    except (TypeError, ValueError) as e:
        raise TdmmError(f"{where}: {prefix.rstrip('.') or 'config'}: {e}") from None


def _convert(value: Any, kind: Any, where: str, key: str) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any or kind is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(value, option, where, key)
            except TdmmError as e:
                errors.append(str(e))
        raise TdmmError(errors[0] if len(errors) == 1 else
                        f"{where}: {key} must be one of {[_name(o) for o in options]}, got {value!r}")
    if dataclasses.is_dataclass(kind):
        return build(kind, {} if value is None else value, where, key + ".")
    if kind is bool:
        if not isinstance(value, bool):
            raise TdmmError(f"{where}: {key} must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TdmmError(f"{where}: {key} must be an integer, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                return float(value)   # YAML reads 1e-3 (no dot) as a string and 1 as an int
            except ValueError:
                pass
        raise TdmmError(f"{where}: {key} must be a number, got {value!r}")
    if kind is str:
        if not isinstance(value, str):
            raise TdmmError(f"{where}: {key} must be a string, got {value!r}")
        return value
    if origin is list or kind is list:
        if not isinstance(value, list):
            raise TdmmError(f"{where}: {key} must be a list, got {_kind(value)}")
        return [_convert(v, args[0], where, f"{key}[{i}]") for i, v in enumerate(value)] \
            if args else value
    if origin is dict or kind is dict:
        if not isinstance(value, dict):
            raise TdmmError(f"{where}: {key} must be a mapping, got {_kind(value)}")
        return {k: _convert(v, args[1], where, f"{key}.{k}") for k, v in value.items()} \
            if args else value
    return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def from_mapping(cls: type[T], raw: dict[str, Any], where: str) -> T:
    """``build`` for callers that already hold the mapping (benchmark files, presets)."""
    return build(cls, raw, where)


def check(ok: bool, field: str, problem: str) -> None:
    """Raise ``TdmmError("FIELD PROBLEM")`` unless ``ok`` (for ``__post_init__`` checks)."""
    if not ok:
        raise TdmmError(f"{field} {problem}")


def save_config(config: Any, path: str | Path, header: str = "") -> None:
    """A config dataclass as YAML (``header``: comment lines written first)."""
    atomic_write_text(Path(path),
                      header + yaml.safe_dump(dataclasses.asdict(config), sort_keys=False))

