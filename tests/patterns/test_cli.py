"""``autoforge patterns`` and ``autoforge loops``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoforge_learn.cli.app import app
from autoforge_learn.findings import Finding
from tests.patterns.test_aggregations import build_store

runner = CliRunner()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / ".autoforge"
    build_store(root)
    return root


def test_help_has_examples() -> None:
    for command in ("patterns", "loops"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output


def test_patterns_json_round_trips(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    result = runner.invoke(app, ["patterns", "--root", str(root), "--format", "json",
                                 "--out", str(out), "-p", "retry_hotspot"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    findings = [Finding.from_dict(d) for d in data]
    assert findings and {str(f.pattern) for f in findings} == {"retry_hotspot"}
    assert all("id" in d for d in data)


def test_patterns_table_and_filters(root: Path) -> None:
    result = runner.invoke(app, ["patterns", "--root", str(root), "--last", "1",
                                 "--since", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert "retry_hotspot" in result.output and "inconclusive" in result.output


def test_bad_pattern_and_format(root: Path) -> None:
    bad = runner.invoke(app, ["patterns", "--root", str(root), "-p", "nope"])
    assert bad.exit_code == 2 and "'nope' is not a valid Pattern" in bad.stderr
    assert runner.invoke(app, ["patterns", "--root", str(root), "--format", "x"]).exit_code == 2


def test_loops(tmp_path: Path) -> None:
    from tests.patterns.test_loops import base, build

    root = tmp_path / ".autoforge"
    projects = base()
    for i, p in enumerate(projects):
        p["rejected"] = i < 22
    build(root, projects)
    result = runner.invoke(app, ["loops", "--root", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    ids = {a["loop_id"] for a in json.loads(result.output)}
    assert "loop_3_downstream_feedback" in ids
    table = runner.invoke(app, ["loops", "--root", str(root)])
    assert table.exit_code == 0 and "loop_3" in table.output


def test_patterns_by_status_and_readable_at_80_columns(root: Path) -> None:
    every = json.loads(runner.invoke(app, ["patterns", "--root", str(root), "--format",
                                           "json"]).stdout)
    statuses = {d["status"] for d in every}
    assert len(statuses) >= 2
    for status in statuses:
        some = runner.invoke(app, ["patterns", "--root", str(root), "--status", status,
                                   "--format", "json"])
        assert some.exit_code == 0, some.output
        shown = json.loads(some.stdout)
        assert [d["id"] for d in shown] == [d["id"] for d in every if d["status"] == status]
    listed = runner.invoke(app, ["patterns", "--root", str(root)])
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert len(lines) > len(every) and max(len(line) for line in lines) <= 80
    assert "e+" not in listed.stdout  # numbers never in exponent form
    typo = runner.invoke(app, ["patterns", "--root", str(root), "--status", "discovry"])
    assert typo.exit_code == 2 and "did you mean discovery?" in typo.stderr
