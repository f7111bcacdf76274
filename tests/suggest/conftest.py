"""Worlds shared by the suggestion tests: a 200-project simulation (the demo's seed) and
the real ChatDev logs, each with its detectors' findings saved as JSON."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from autoforge_learn.demo import DEMO_SEED
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.sim import simulate
from autoforge_learn.workspace import Workspace

CHATDEV = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "chatdev"


def _detected(root: Path, saved: Path) -> None:
    with Workspace(root) as ws:
        found = detect_patterns(ws)
    saved.write_bytes(orjson.dumps([f.to_dict() for f in found]))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 200-project world (the demo's seed; enough projects for discoveries of every
    kind the rules act on) and its findings saved as JSON."""
    base = tmp_path_factory.mktemp("demo")
    root = base / ".autoforge"
    simulate(root, projects=200, seed=DEMO_SEED)
    _detected(root, base / "findings.json")
    return root, base / "findings.json"


@pytest.fixture(scope="session")
def chatdev(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The 37 real ChatDev runs imported, and their findings saved as JSON."""
    from autoforge_learn.importers.chatdev import import_chatdev

    assert CHATDEV.is_dir(), f"the ChatDev logs are expected at {CHATDEV}"
    base = tmp_path_factory.mktemp("chatdev")
    root = base / ".autoforge"
    import_chatdev([CHATDEV], root=root)
    _detected(root, base / "findings.json")
    return root, base / "findings.json"
