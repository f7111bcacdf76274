"""The layers import only downwards: a lower package never imports a higher one (at
import time or inside a function), so each can be used and tested without the ones
above it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "autoforge_learn"

#: Lowest first; a package may import its own layer and those before it.
LAYERS: list[set[str]] = [
    {"errors", "schema", "words", "redaction", "forked"},
    {"store", "registry", "analyze", "settings", "selection"},
    {"workspace"},
    {"dataset", "stats", "findings"},
    {"label", "patterns", "experiments"},
    {"suggest", "review"},
    {"report", "aggregate", "export", "recompute", "tables"},
    {"train", "publish"},
    {"demo", "cli", "server"},
]
#: Packages beside the analysis stack (they use the store and the schema); only the top
#: layer (the CLI, the demo) may import them.
SIDE = {"collect", "sim", "importers"}
TOP = len(LAYERS) - 1


def _level(name: str) -> int | None:
    for level, layer in enumerate(LAYERS):
        if name in layer:
            return level
    return None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "autoforge_learn" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_packages_import_only_downwards() -> None:
    wrong = []
    checked = 0
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        own = rel.parts[0].removesuffix(".py")
        level = _level(own)
        if level is None:
            continue
        checked += 1
        for used in _imports(path):
            used_level = _level(used)
            side = used in SIDE and level != TOP
            if side or (used_level is not None and used_level > level):
                wrong.append(f"{rel} imports autoforge_learn.{used}")
    assert checked > 80
    assert wrong == []


def test_every_package_has_a_layer() -> None:
    """A new package is placed in a layer (or beside them), so it is checked too."""
    placed = set().union(*LAYERS) | SIDE | {"__init__", "__main__"}
    names = {p.name.removesuffix(".py") for p in SRC.iterdir()
             if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert names - placed == set()
