from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn import Collector
from autoforge_learn.cli import app
from autoforge_learn.recompute import RECOMPUTED, recompute
from autoforge_learn.sim import simulate
from autoforge_learn.store import StoreLayout

runner = CliRunner()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("recompute") / ".autoforge"
    simulate(root, projects=80, seed=5)
    return root


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_every_simulated_project_recomputes_exactly(simulated):
    report = recompute(simulated)
    assert report.ok, [p.to_dict() for p in report.projects if not p.ok][:2]
    assert len(report.projects) == 80
    statuses = {c.metric: c.status for p in report.projects for c in p.checks}
    assert set(statuses) == set(RECOMPUTED)
    # Metrics really were compared, not skipped: most projects record each of them.
    compared = sum(1 for p in report.projects for c in p.checks if c.recorded is not None)
    assert compared > 0.8 * 80 * len(RECOMPUTED)


def test_a_tampered_summary_is_a_mismatch(simulated, tmp_path):
    root = _copy(simulated, tmp_path / ".autoforge")
    summary = sorted(root.glob("ai/training_data/raw/*/project_*_summary.json"))[3]
    data = orjson.loads(summary.read_bytes())
    data["outcome"]["quality_score"] += 7.5
    summary.write_bytes(orjson.dumps(data))
    project_id = data["project_id"]
    result = runner.invoke(app, ["recompute", "--all", "--root", str(root), "--format", "json"])
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    bad = [p for p in report["projects"] if not p["ok"]]
    assert [p["project_id"] for p in bad] == [project_id]
    (check,) = [c for c in bad[0]["checks"] if c["status"] == "mismatch"]
    assert check["metric"] == "quality_score"
    assert check["recorded"] == pytest.approx(check["recomputed"] + 7.5)


def test_changed_raw_events_show_up_as_differences(tmp_path):
    root = tmp_path / ".autoforge"
    c = Collector(root)
    with c.project(project_id="P1", recipe="web_app_v1", timestamp="2025-10-01T09:00:00Z") as p:
        with p.stage(stage_id="engineering", agent_role="engineer") as s:
            s.add_usage(input_tokens=100, output_tokens=50, total_cost=0.5)
        p.tests(tests_executed=10, tests_passed=10, test_coverage_percent=80)
        p.security_scan(vulnerabilities_found=0)
        p.performance(within_slo=True)
        p.complete(project_success="shipped")
    # The outcome did not record a quality score: nothing to compare, not a mismatch.
    report = recompute(root, project_ids=["P1"])
    assert report.ok
    quality = next(c for c in report.projects[0].checks if c.metric == "quality_score")
    assert (quality.recorded, quality.recomputed, quality.status) == (None, 95.0, "not_recorded")
    # A stage event appended later (a late-arriving log) changes the derived totals.
    c.on_agent_stage_completion(
        project_id="P1",
        stage_id="qa",
        agent_role="qa",
        input_tokens=1,
        output_tokens=1,
        total_cost=0.25,
    )
    report = recompute(root, project_ids=["P1"])
    assert {c.metric for c in report.projects[0].mismatches} == {"token_cost_total", "tokens_total"}


def test_unknown_project_and_missing_summary(tmp_path):
    root = tmp_path / ".autoforge"
    Collector(root).on_gate_evaluation(project_id="P2", gate_id="g", validation_result="pass")
    result = runner.invoke(app, ["recompute", "NOPE", "--root", str(root)])
    assert result.exit_code == 1 and "no raw events for project 'NOPE'" in result.stderr
    result = runner.invoke(app, ["recompute", "P2", "--root", str(root), "--format", "json"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["projects"][0]["problems"] == [
        "no project summary.json to compare with"
    ]
    assert runner.invoke(app, ["recompute", "--root", str(root)]).exit_code == 1


def test_cli_table_lists_only_differences_for_many_projects(simulated):
    result = runner.invoke(app, ["recompute", "--all", "--root", str(simulated)])
    assert result.exit_code == 0, result.output
    assert "80 projects recomputed from raw events: all match" in result.stdout
    assert StoreLayout(simulated).raw_files()


@pytest.mark.parametrize(
    ("metric", "recorded", "recomputed", "status"),
    [
        # Float rounding (1e-6 relative) is a match, however large the value...
        ("time_to_completion", 86_400.0, 86_400.0 * (1 + 5e-7), "match"),
        ("tokens_total", 12_345_678, 12_345_678 * (1 - 9e-7), "match"),
        # ... a larger relative difference is not.
        ("time_to_completion", 86_400.0, 86_400.0 * (1 + 3e-6), "mismatch"),
        # Near zero a tiny absolute difference decides.
        ("time_to_completion", 0.0, 1e-12, "match"),
        ("agent_decisions_overridden", 0, 1e-3, "mismatch"),
        # A metric's own rounding still applies (quality is recorded to 0.01).
        ("quality_score", 87.25, 87.254, "match"),
        ("quality_score", 87.25, 87.27, "mismatch"),
    ],
)
def test_float_rounding_is_a_match(metric, recorded, recomputed, status):
    from autoforge_learn.recompute import MetricCheck

    assert MetricCheck(metric, recorded, recomputed).status == status
