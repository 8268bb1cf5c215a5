"""Import cycles and upward imports in ``tdmm_lm/``, read from the source with ``ast`` (nothing
is imported, so it also reads an old checkout).

    python eval/scripts/import_graph.py                       # this checkout's tdmm_lm/
    python eval/scripts/import_graph.py --root /tmp/before     # another tree (holds tdmm_lm/)
    # before/after a change (eval/results/import_graph.md):
    git archive BASE tdmm_lm | tar -x -C /tmp/before
    python eval/scripts/import_graph.py --root /tmp/before --label "before (BASE)" \
        --root . --label "after" --out eval/results/import_graph.md

Every ``import`` / ``from ... import`` counts, also those inside functions ("lazy": they run
only when called, so they cannot form an import-time cycle, but they still tie the modules).
An import of ``pkg.name`` counts as an import of the module ``pkg.name`` when that module exists,
else of ``pkg`` (its ``__init__``). Implicit imports of parent packages are left out.

Layers follow DESIGN.md's flow (motion ← geometry ← vqvae ← lm/baselines ← benchmark ← app/cli);
an import from a lower layer into a higher one is *upward*. Modules in one layer may import each
other. Strings of the form ``"tdmm_lm.x:attr"`` name code that is imported on use (registries);
those pointing upward are listed apart, since no ``import`` statement shows them.
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass
from pathlib import Path

# rank of each top-level part of the package: lower ranks must not import higher ones
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("tdmm_lm", "errors", "limits", "safe_pickle", "yaml_config", "provenance", "atomic", "device",
                    "artifacts", "text_encoder", "nn", "training")),
    ("motion", ("motion",)),
    ("data, geometry", ("data", "geometry")),
    ("vqvae", ("vqvae",)),
    ("generators", ("generators",)),
    ("lm, baselines", ("lm", "baselines")),
    ("benchmark", ("benchmark",)),
    ("hub, app", ("hub", "app")),
    ("cli, quickstart", ("cli", "quickstart", "__main__")),
]
RANK = {part: i for i, (_, parts) in enumerate(LAYERS) for part in parts}
TARGET = re.compile(r"(tdmm_lm(?:\.\w+)+):\w+")


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    line: int
    lazy: bool    # inside a function: runs when called, not at import


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file for every ``.py`` under ``root/tdmm_lm``."""
    out = {}
    for path in sorted((root / "tdmm_lm").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _target(name: str, known: dict[str, Path]) -> str | None:
    """The known module ``name`` refers to (the longest known prefix), or None (third party)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def edges(root: Path) -> tuple[list[Edge], list[Edge]]:
    """(import edges, late-bound ``"module:attr"`` string edges) between tdmm_lm modules."""
    known = modules(root)
    found, late = [], []
    for mod, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node, lazy in _walk(tree, False):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                         for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                m = TARGET.fullmatch(node.value)
                if m and _target(m.group(1), known):
                    late.append(Edge(mod, _target(m.group(1), known), node.lineno, True))
                continue
            for name in names:
                dst = _target(name, known)
                if dst and dst != mod:
                    found.append(Edge(mod, dst, node.lineno, lazy))
    return found, late


def _walk(node: ast.AST, lazy: bool):
    for child in ast.iter_child_nodes(node):
        inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield child, lazy
        yield from _walk(child, inner)


def rank(module: str) -> int:
    parts = module.split(".")
    return RANK[parts[1] if len(parts) > 1 else parts[0]]


def cycles(found: list[Edge], *, eager_only: bool) -> list[list[str]]:
    """Strongly connected module groups (each a cycle or several), largest first."""
    import networkx as nx
    g = nx.DiGraph((e.src, e.dst) for e in found if not (eager_only and e.lazy))
    return sorted((sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1),
                  key=lambda c: (-len(c), c))


def upward(found: list[Edge]) -> list[Edge]:
    return sorted((e for e in found if rank(e.src) < rank(e.dst)), key=lambda e: (e.src, e.line))


def report(root: Path, label: str) -> str:
    found, late = edges(root)
    lines = [f"## {label}", "", f"`tdmm_lm/`: {len(modules(root))} modules, "
             f"{len({(e.src, e.dst) for e in found})} module-to-module imports.", ""]
    for eager_only, what in ((True, "at import time (top-level imports only)"),
                             (False, "counting imports inside functions too")):
        groups = cycles(found, eager_only=eager_only)
        lines.append(f"**Import cycles {what}: {len(groups)}**" + (":" if groups else ""))
        lines += [f"- {' ⇄ '.join(g)}" for g in groups]
        lines.append("")
    up = upward(found)
    lines.append(f"**Upward imports: {len(up)}**" + (":" if up else ""))
    lines += [f"- `{e.src}` (line {e.line}{', lazy' if e.lazy else ''}) → `{e.dst}`" for e in up]
    lines.append("")
    late_up = upward(late)
    lines.append(f"**Upward late-bound targets (`\"module:attr\"` strings): {len(late_up)}**"
                 + (":" if late_up else ""))
    lines += [f"- `{e.src}` (line {e.line}) names `{e.dst}`" for e in late_up]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", action="append", type=Path,
                        help="folder holding tdmm_lm/ (repeatable; default: this checkout)")
    parser.add_argument("--label", action="append", help="heading for each --root")
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: print)")
    args = parser.parse_args()
    roots = args.root or [Path(__file__).resolve().parents[2]]
    labels = args.label or [str(r) for r in roots]
    layers = " ← ".join(name for name, _ in LAYERS)
    text = "\n".join(["# Import structure of tdmm_lm", "",
                      f"Made by `python eval/scripts/import_graph.py`. Layers, low to high: "
                      f"{layers}.", ""] + [report(r, l) for r, l in zip(roots, labels)])
    if args.out:
        args.out.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
