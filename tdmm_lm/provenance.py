"""Where a measured number came from: machine, versions, commit, command, date.

Every script that writes under ``eval/results/`` records this next to its numbers.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError

PACKAGES = ("tdmm-lm", "numpy", "scipy", "torch", "transformers", "peft", "accelerate", "datasets",
            "deepspeed", "smplx")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(cwd: str | Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(packages: tuple[str, ...] = PACKAGES) -> dict[str, Any]:
    """Machine, thread count, Python and package versions, commit, command and UTC time."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        import torch
        threads = torch.get_num_threads()
    except ImportError:
        threads = None
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "commit": git_commit(Path(__file__).resolve().parent),
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "torch_threads": threads,
                    "platform": platform.platform(),
                    # other work on the machine slows timings; this says how busy it was
                    "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None},
        "python": platform.python_version(),
        "versions": versions,
    }


def environment_markdown(env: dict[str, Any]) -> str:
    """The environment as a short Markdown block for result tables."""
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    m = env["machine"]
    return (f"- machine: {m['cpu']}, {m['cores']} cores ({m['platform']}), 1-min load average "
            f"{m.get('load_average_1m')} when written\n"
            f"- versions: Python {env['python']}, {versions}\n"
            f"- commit: `{env['commit']}`, {env['date_utc']} UTC\n"
            f"- command: `{env['command']}`\n")


def best_of(fn, repeats: int = 3, *, warmup: bool = True) -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` in seconds (after one untimed call)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def check_writable(folder: str | Path, what: str = "results_dir") -> None:
    """Refuse, before hours of scoring, a results folder that cannot be made: ``folder`` or one
    of its parents is a file, or the nearest existing parent is not writable."""
    folder = Path(folder)
    for p in (folder, *folder.parents):
        if p.exists():
            if not p.is_dir():
                raise TdmmError(f"{what} {folder}: {p} is a file, not a folder; results could not "
                                "be written there")
            if not os.access(p, os.W_OK):
                raise TdmmError(f"{what} {folder}: {p} is not writable")
            return


def write_result(stem: str | Path, results: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write ``stem.json`` (results + environment) and ``stem.md`` (table + environment), each
    atomically (a killed run leaves no half-written table)."""
    stem = Path(stem)
    check_writable(stem.parent)
    stem.parent.mkdir(parents=True, exist_ok=True)
    env = environment()
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    atomic_write_text(json_path, json.dumps({"results": results, "environment": env}, indent=2)
                      + "\n")
    atomic_write_text(md_path, markdown.rstrip() + "\n\n## Environment\n"
                      + environment_markdown(env))
    return json_path, md_path
