"""A damaged DuckDB index is derived data: it is moved aside and rebuilt from the raw
files, never a dead end (``index --rebuild`` could not recover it before)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector
from autoforge_learn.dataset.metrics import metric_values
from autoforge_learn.workspace import Workspace

runner = CliRunner()


def _store(root: Path) -> None:
    with Collector(root) as c:
        for i in range(12):
            c.on_gate_evaluation(project_id=f"p{i}", gate_id="g", agent_role="qa",
                                 validation_result="fail" if i % 3 == 0 else "pass")


def _garbage(index: Path) -> None:
    index.write_bytes(b"not a database at all\n" * 10)


def _directory(index: Path) -> None:
    index.unlink()
    index.mkdir()


def _truncated(index: Path) -> None:
    with open(index, "r+b") as handle:
        handle.truncate(index.stat().st_size // 2)


@pytest.mark.parametrize("damage", [_garbage, _directory, _truncated], ids=lambda f: f.__name__)
def test_a_damaged_index_is_set_aside_and_rebuilt(af_root: Path, damage) -> None:
    _store(af_root)
    with Workspace(af_root) as ws:
        expected = metric_values(ws, "gate_pass_rate")
    index = af_root / "index.duckdb"
    damage(index)
    with Workspace(af_root) as ws:
        assert metric_values(ws, "gate_pass_rate") == expected
    assert index.is_file() and list(af_root.glob("index.duckdb.broken-*"))
    result = runner.invoke(app, ["index", "--rebuild", "--root", str(af_root)])
    assert result.exit_code == 0, result.output


def test_an_index_outside_the_store_is_never_moved(af_root: Path, tmp_path: Path) -> None:
    _store(af_root)
    elsewhere = tmp_path / "shared.duckdb"
    _garbage(elsewhere)
    result = runner.invoke(app, ["index", "--engine", f"duckdb:{elsewhere}", "--root",
                                 str(af_root)])
    assert result.exit_code == 1 and "cannot open the index" in result.output
    assert elsewhere.read_bytes().startswith(b"not a database")
