"""The ``autoforge index`` and ``autoforge metrics`` commands."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app

runner = CliRunner()


def _engine_args(engine: str | None) -> list[str]:
    return ["--engine", engine] if engine else []


def test_help_has_examples() -> None:
    for args in (["index"], ["metrics"], ["metrics", "list"], ["metrics", "show"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output


def test_metrics_list_json() -> None:
    result = runner.invoke(app, ["metrics", "list", "--format", "json"])
    assert result.exit_code == 0
    names = {row["name"] for row in orjson.loads(result.stdout)}
    assert {"gate_failure_rate", "avg_retries_per_task", "p95_stage_duration"} <= names


def test_metrics_show_json_and_csv(root: Path, engine: str | None) -> None:
    args = [
        "metrics",
        "show",
        "--metric",
        "gate_failure_rate",
        "--by",
        "role",
        "--root",
        str(root),
        *_engine_args(engine),
    ]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == [
        {"role": "architect", "value": 0.5, "numerator": 2, "denominator": 4},
        {"role": "engineer", "value": 2 / 3, "numerator": 2, "denominator": 3},
    ]
    result = runner.invoke(app, [*args, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["role"] == "architect" and rows[0]["denominator"] == "4"
    result = runner.invoke(
        app,
        [
            "metrics",
            "show",
            "-m",
            "gate_pass_rate",
            "--since",
            "2025-10-01",
            "--last",
            "2",
            "--root",
            str(root),
            *_engine_args(engine),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "gate_pass_rate" in result.output


def test_strict_fails_on_a_bad_line(root: Path, engine: str | None) -> None:
    path = root / "ai" / "training_data" / "raw" / "2025-10" / "project_B_gates.jsonl"
    with open(path, "ab") as handle:
        handle.write(b"{broken\n")
    base = ["--root", str(root), *_engine_args(engine)]
    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_failures", *base])
    assert result.exit_code == 0
    assert f"{path}:3:" in result.output
    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_failures", "--strict", *base])
    assert result.exit_code != 0
    assert f"{path}:3:" in result.output
    result = runner.invoke(app, ["index", "--strict", *base])
    assert result.exit_code != 0 and f"{path}:3:" in result.output
    result = runner.invoke(app, ["index", "--format", "json", *base])
    assert result.exit_code == 0
    assert orjson.loads(result.stdout)["issues"][0].startswith(f"{path}:3:")


def test_unknown_metric_fails(root: Path, engine: str | None) -> None:
    result = runner.invoke(
        app, ["metrics", "show", "--metric", "nope", "--root", str(root), *_engine_args(engine)]
    )
    assert result.exit_code == 2 and "unknown metric" in result.output


def test_index_progress_bar_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from autoforge_learn.cli import common

    monkeypatch.setattr(common, "err_console", Console(file=io.StringIO(), stderr=True))
    with common.index_progress() as progress:
        assert progress is None  # not a terminal: no bar, nothing written
    out = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=out, force_terminal=True, width=100))
    with common.index_progress() as progress:
        assert progress is not None
        progress(0, 1000)  # a small refresh: no bar
    assert "Indexing" not in out.getvalue()
    with common.index_progress() as progress:
        assert progress is not None
        total = common.INDEX_PROGRESS_MIN_BYTES
        progress(0, total)
        progress(total // 2, total)
        progress(total, total)
    assert "Indexing raw events" in out.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "show", "--metric", "gate_failures", "--by", "role", "--format", "json"],
        ["index", "--format", "json"],
        ["label", "--format", "json"],
        ["aggregate", "--format", "json"],
        ["patterns", "--format", "json"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_that_refresh_show_the_bar_on_stderr_only(
    root: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """On a terminal, a refresh shows the bar on stderr; stdout is still pure JSON."""
    from rich.console import Console

    from autoforge_learn.cli import common

    err = io.StringIO()
    monkeypatch.setattr(common, "INDEX_PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(common, "err_console", Console(file=err, force_terminal=True))
    result = runner.invoke(app, [*args, "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "Indexing raw events" in err.getvalue()
    assert "Indexing" not in result.stdout
    orjson.loads(result.stdout)
