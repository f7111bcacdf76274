"""Findings kept between runs: reused only when the index, selection, settings and code
are the same; recomputed on any change; an unreadable entry is recomputed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import autoforge_learn.patterns.detect as detect_module
from autoforge_learn.collect import Collector
from autoforge_learn.dataset import load_dataset
from autoforge_learn.patterns.cache import KEEP, cache_dir
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.selection import Selection
from autoforge_learn.sim import simulate
from autoforge_learn.workspace import Workspace


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache") / ".autoforge"
    simulate(root, projects=24, seed=3)
    return root


@pytest.fixture
def store(simulated: Path, tmp_path: Path) -> Path:
    """A copy of the simulated store for one test (the tests add events and entries)."""
    import shutil

    root = tmp_path / ".autoforge"
    shutil.copytree(simulated / "ai", root / "ai")
    return root


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The detectors' runs, by pattern name, as the tests call detect_patterns."""
    calls: list[str] = []
    real = detect_module._detectors

    def counted() -> dict[Any, Callable[..., Any]]:
        def wrap(pattern: Any, run: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                calls.append(str(pattern))
                return run(*args, **kwargs)

            return call

        return {p: wrap(p, run) for p, run in real().items()}

    monkeypatch.setattr(detect_module, "_detectors", counted)
    return calls


def test_the_same_inputs_give_the_kept_findings_without_running_the_detectors(
    store: Path, open_ws: Callable[..., Workspace], runs: list[str]
) -> None:
    first = detect_patterns(open_ws(store))
    assert len(runs) == 8 and first
    assert len(list(cache_dir(open_ws(store)).glob("*.json"))) == 1
    again = detect_patterns(open_ws(store))
    assert len(runs) == 8  # no detector ran
    assert again == first
    assert [f.to_dict() for f in again] == [f.to_dict() for f in first]
    # A loaded dataset of the same selection (what train passes) finds the same entry.
    ws = open_ws(store)
    assert detect_patterns(ws, data=load_dataset(ws, Selection())) == first
    assert len(runs) == 8


def test_any_change_of_what_the_findings_depend_on_runs_the_detectors_again(
    store: Path, open_ws: Callable[..., Workspace], runs: list[str]
) -> None:
    detect_patterns(open_ws(store))
    assert len(runs) == 8
    # Another selection.
    detect_patterns(open_ws(store), Selection.build(last_projects=12))
    assert len(runs) == 16
    # Other settings.
    detect_patterns(open_ws(store, {"patterns": {"min_sample": 21}}))
    assert len(runs) == 24
    # Only some patterns.
    detect_patterns(open_ws(store), patterns=["retry_hotspot"])
    assert runs[24:] == ["retry_hotspot"]
    # New events in the store.
    detect_patterns(open_ws(store))
    assert len(runs) == 25
    with Collector(store) as c:
        c.on_project_start(project_id="late", recipe="web_app_v1", platform="web")
        c.on_gate_evaluation(project_id="late", gate_id="g", stage="product",
                             agent_role="product", validation_result="fail",
                             validation_reason="late failure")
    detect_patterns(open_ws(store))
    assert len(runs) == 33
    # And nothing changed since: kept again.
    detect_patterns(open_ws(store))
    assert len(runs) == 33


def test_an_unreadable_entry_is_computed_again(
    store: Path, open_ws: Callable[..., Workspace], runs: list[str]
) -> None:
    first = detect_patterns(open_ws(store))
    (entry,) = cache_dir(open_ws(store)).glob("*.json")
    entry.write_bytes(entry.read_bytes()[:100])
    assert detect_patterns(open_ws(store)) == first
    assert len(runs) == 16
    entry.write_bytes(b'{"format": 1, "key": "other", "findings": []}')
    assert detect_patterns(open_ws(store)) == first
    assert len(runs) == 24


def test_only_the_newest_entries_are_kept(store: Path) -> None:
    with Workspace(store) as ws:
        for n in range(1, KEEP + 3):
            detect_patterns(ws, Selection.build(last_projects=n), patterns=["retry_hotspot"])
        assert len(list(cache_dir(ws).glob("*.json"))) == KEEP


def test_the_detected_patterns_are_those_with_a_detector() -> None:
    assert set(detect_module.DETECTED) == set(detect_module._detectors())
