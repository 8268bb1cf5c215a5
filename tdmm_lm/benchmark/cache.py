"""The benchmark's cache: generations per (generator, seed) and what was measured on them.

Layout: ``<cache_dir>/<benchmark>/<label>/<seed>.npz`` (the motions at the benchmark's fps;
describers: ``describers/<label>/<seed>.descriptions.json``) and
``<seed>.json`` (per-generation measures that do not depend on the other replications:
vertex errors, token accuracy, the detectors' verdicts, description scores). Each file stores
the key of everything it depends on (prompts, lengths, model, the checkpoint's files with
their sizes and modification times, options, settings);
a file whose key differs is ignored and rewritten, so editing the benchmark never reuses stale
numbers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.motion.types import Motion


def cache_key(**parts: Any) -> str:
    """sha256 of the JSON of ``parts`` (sorted keys; unknown objects by ``str``)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def path_state(path: str | None) -> list[tuple[str, int, int]] | str | None:
    """What a local checkpoint, tokenizer or rig looks like on disk: (relative path, size,
    mtime_ns) of each file, so retraining a model in place invalidates its cached generations.
    Anything that is not a local path (None, a hub id) is returned as is."""
    if not path or not Path(path).exists():
        return path
    root = Path(path)
    files = [root] if root.is_file() else sorted(f for f in root.rglob("*") if f.is_file())
    stats = [(f, f.stat()) for f in files]
    return [(str(f.relative_to(root)) if f != root else f.name, st.st_size, st.st_mtime_ns)
            for f, st in stats]


def motions_digest(motions: Sequence[Motion]) -> str:
    """sha256 of the motions' frames and rates (equal digests: the same generations)."""
    h = hashlib.sha256()
    for m in motions:
        h.update(np.ascontiguousarray(m.data).tobytes())
        h.update(f"{m.fps}|{m.data.shape}".encode())
    return h.hexdigest()


def save_motions(path: Path, motions: Sequence[Motion], key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    first = motions[0]
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, data=np.concatenate([m.data for m in motions]),
             lengths=np.array([m.num_frames for m in motions]), fps=first.fps,
             format=first.format.name, channels=np.array(first.channels), key=key)
    tmp.replace(path)   # a run killed mid-write leaves no half file behind


def load_motions(path: Path, key: str) -> list[Motion] | None:
    """The cached motions, or None when absent or made for another key."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:
        if str(f["key"]) != key:
            return None
        bounds = np.cumsum(np.concatenate([[0], f["lengths"]]))
        data, fps = f["data"], float(f["fps"])
        fmt, channels = str(f["format"]), tuple(str(c) for c in f["channels"])
    return [Motion(data[a:b], fps, fmt, channels) for a, b in zip(bounds[:-1], bounds[1:])]


def load_json(path: Path, key: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
    except ValueError:
        return None
    return raw.get("values") if raw.get("key") == key else None


def save_json(path: Path, key: str, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"key": key, "values": values}, indent=1) + "\n")
