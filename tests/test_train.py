"""The learning loop end to end: demo, train, report, suggestions, apply."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.sim import simulate
from autoforge_learn.store import StoreLayout
from autoforge_learn.train import train
from autoforge_learn.workspace import Workspace
from tests.conftest import pg_schema_url

runner = CliRunner()
NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def trained(request, tmp_path_factory):
    """A 120-project store trained on each engine (the same workspace stays open)."""
    root = tmp_path_factory.mktemp("train") / ".autoforge"
    simulate(root, projects=120, seed=4)
    urls = pg_schema_url() if request.param == "postgres" else iter([None])
    engine = next(urls)
    with Workspace(root, engine=engine) as ws:
        yield root, train(ws, now=NOW), ws
    next(urls, None)


def test_train_writes_every_artefact(trained):
    root, result, _ws = trained
    layout = StoreLayout(root)
    assert result.report == root / "ai" / "training_data" / "reports" / "training_2025-11-03.md"
    assert result.report_html.exists() and result.report.exists()
    assert not (root / "ai" / "reports").exists()  # one reports directory
    assert result.files.monthly == layout.reports / "2025-11-learning_report.md"
    assert result.files.monthly.read_text() == result.report.read_text()
    pngs = sorted((layout.reports / "assets").glob("*.png"))
    assert pngs, "the monthly report's charts were not copied"
    for png in pngs:
        assert png.read_bytes()[:4] == b"\x89PNG"
    trends = orjson.loads(result.files.trends.read_bytes())
    assert "gate_failure_rate" in trends["metrics"]
    for name in ("gates_labeled", "decisions_labeled", "outputs_quality_scored"):
        assert (layout.labeled / f"{name}.jsonl").stat().st_size > 0
    for name in (
        "agent_performance_by_role",
        "recipe_success_rates",
        "prompt_version_metrics",
        "trend_analysis",
    ):
        assert (layout.aggregated / f"{name}.json").exists()
    suggestions = yaml.safe_load(result.suggestions_file.read_text())
    assert [s["suggestion_id"] for s in suggestions] == [
        s.suggestion_id for s in result.suggestions
    ]


def test_report_reads_as_the_template_says_and_cites_real_data(trained):
    root, result, _ws = trained
    text = result.report.read_text()
    summary = text.split("## Executive summary", 1)[1].split("##", 1)[0]
    assert summary.count("\n- ") == 3
    assert "## Key improvements identified" in text and "## Suggested next actions" in text
    # Evidence quoted in the report is real: its example event ids exist in the raw data.
    raw = b"".join(p.read_bytes() for p in StoreLayout(root).raw_files())
    quoted = [f.examples[0].event_id for f in result.findings if f.examples][:10]
    assert quoted and all(event_id.encode() in raw for event_id in quoted)
    assert result.suggestions[0].suggestion_id in text


def test_a_suggestion_from_train_applies_as_a_new_prompt_version(trained, tmp_path):
    import shutil

    root, result, _ws = trained
    copy = tmp_path / ".autoforge"
    shutil.copytree(root, copy)
    first = result.suggestions[0]
    outcome = runner.invoke(app, ["prompts", "apply", first.suggestion_id, "--root", str(copy)])
    assert outcome.exit_code == 0, outcome.output
    latest = PromptRegistry(copy).latest(first.agent_role)
    assert latest.source == first.suggestion_id
    assert latest.sections[first.proposed_change.section].strip() == (
        first.proposed_change.new_text.strip()
    )


def test_training_again_on_the_same_data_proposes_no_duplicates(trained):
    root, result, ws = trained
    again = train(ws, now=NOW)
    assert again.suggestions_file is None
    assert {s.suggestion_id for s in again.suggestions} == {
        s.suggestion_id for s in result.suggestions
    }


def test_train_cli_outside_a_store_and_on_an_empty_store(tmp_path):
    empty = tmp_path / "empty" / ".autoforge"
    result = runner.invoke(app, ["train", "--root", str(empty)])
    assert result.exit_code == 1 and "not an autoforge store" in result.stderr
    assert not empty.exists()  # nothing created by accident
    assert runner.invoke(app, ["init", "--root", str(empty)]).exit_code == 0
    result = runner.invoke(app, ["train", "--root", str(empty)])
    assert result.exit_code == 1 and "no events" in result.stderr


def test_demo_runs_the_whole_loop(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOFORGE_HOME", raising=False)
    result = runner.invoke(app, ["demo", "--projects", "30", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert data["projects"] == 30 and data["invalid_lines"] == 0
    assert Path(data["training"]["report"]).exists()
    assert Path(data["training"]["report"]).is_relative_to(tmp_path / ".autoforge")
    again = runner.invoke(app, ["demo", "--projects", "30", "--skip-train"])
    assert again.exit_code == 0 and "reused it" in again.stdout
    other = runner.invoke(app, ["demo", "--projects", "31"])
    assert other.exit_code == 1 and "not this demo's" in other.stderr


def test_progress_names_each_step_in_order_and_the_share_of_the_index_read(tmp_path):
    from autoforge_learn.train import STEPS

    root = tmp_path / ".autoforge"
    simulate(root, projects=15, seed=2)
    calls: list[tuple[str, int, int]] = []
    with Workspace(root) as ws:
        train(ws, now=NOW, progress=lambda step, done, total: calls.append((step, done, total)))
    steps = [step for step, _d, _t in calls if not step.startswith("index (")]
    assert steps == list(STEPS)
    index_calls = [c for c in calls if c[0].startswith("index (")]
    assert index_calls[0][0] == "index (0% read)" and index_calls[-1][0] == "index (100% read)"
    assert all(done == 0 and total == len(STEPS) for _s, done, total in index_calls)
    # the step name comes first, the share of its read after it
    assert calls.index(index_calls[0]) > calls.index(("index", 0, len(STEPS)))


def test_train_in_one_process_writes_what_train_with_its_helpers_writes(
    tmp_path, monkeypatch
):
    """The charts and the detectors run in forked helpers by default; the report set
    and the findings are the same bytes when the user asks for one process."""
    written = {}
    for mode in ("helpers", "single"):
        if mode == "single":
            monkeypatch.setenv("AUTOFORGE_SINGLE_PROCESS", "1")
        root = tmp_path / mode / ".autoforge"
        simulate(root, projects=60, seed=8)
        with Workspace(root) as ws:
            result = train(ws, now=NOW)
        reports = StoreLayout(root).reports
        written[mode] = (
            [f.to_dict() for f in result.findings],
            result.report.read_text().replace(str(root), "ROOT"),
            {p.name: p.read_bytes() for p in sorted((reports / "assets").glob("*.png"))},
        )
    assert written["helpers"][0] and written["helpers"][2]
    assert written["helpers"] == written["single"]
