"""``autoforge query``: read-only SQL over the index, the same answers on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector
from autoforge_learn.dataset.sql import run_query
from autoforge_learn.errors import UsageError

runner = CliRunner()


def _store(root: Path) -> None:
    with Collector(root) as c:
        for i in range(4):
            c.on_gate_evaluation(project_id=f"p{i}", gate_id="g", agent_role="qa",
                                 validation_result="fail" if i % 2 else "pass")


def test_a_query_reads_the_index_and_cannot_change_it(af_root: Path, open_ws) -> None:
    _store(af_root)
    ws = open_ws(af_root)
    result = run_query(ws, "SELECT validation_result, count(*) AS n FROM events "
                           "GROUP BY 1 ORDER BY 1")
    assert result.columns == ["validation_result", "n"]
    assert [tuple(r) for r in result.rows] == [("fail", 2), ("pass", 2)]
    for statement in ("DELETE FROM events", "DROP TABLE events",
                      "UPDATE events SET gate_id = 'x'"):
        with pytest.raises(UsageError, match="query failed"):
            run_query(ws, statement)
    assert run_query(ws, "SELECT count(*) FROM events").rows[0][0] == 4
    limited = run_query(ws, "SELECT project_id FROM events ORDER BY 1", limit=3)
    assert limited.truncated and len(limited.rows) == 3


def test_the_query_command_prints_in_every_format(af_root: Path) -> None:
    _store(af_root)
    sql = "SELECT project_id, validation_result FROM events ORDER BY 1"
    out = runner.invoke(app, ["query", sql, "--format", "csv", "--root", str(af_root)])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[:2] == ["project_id,validation_result", "p0,pass"]
    bad = runner.invoke(app, ["query", "SELEC nonsense", "--root", str(af_root)])
    assert bad.exit_code == 2 and "query failed" in bad.output
