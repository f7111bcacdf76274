"""Labels on a simulated store agree with the simulator's truth, on both engines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.label.run import label_store
from autoforge_learn.sim import simulate
from autoforge_learn.store import StoreLayout
from autoforge_learn.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("label") / ".autoforge"
    simulate(root, projects=150, seed=9)
    return root


def _jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_label_agreement_with_truth_is_at_least_95_percent(simulated, open_ws):
    report = label_store(open_ws(simulated))
    layout = StoreLayout(simulated)
    truth = _jsonl(layout.training_data / "simulation_truth_labels.jsonl")
    by_type: dict[str, dict[str, str]] = {}
    for t in truth:
        by_type.setdefault(t["type"], {})[t["key"]] = t["label"]
    gates = {r["event_id"]: r["quality"] for r in _jsonl(report.files["gates"])}
    decisions = {r["event_id"]: r["alignment"] for r in _jsonl(report.files["decisions"])}
    outputs = {r["project_id"]: r["output"] for r in _jsonl(report.files["outputs"])}
    for name, labels in (("gate", gates), ("decision", decisions), ("output", outputs)):
        expected = by_type[name]
        assert set(labels) == set(expected), name
        agree = sum(labels[k] == v for k, v in expected.items()) / len(expected)
        assert agree >= 0.95, (name, agree)
    # Every gate label occurs, so the rule's branches are all exercised.
    assert set(gates.values()) == {"excellent", "good", "acceptable", "poor"}


def test_prompt_effectiveness_matches_a_direct_count(simulated):
    with Workspace(simulated) as ws:
        report = label_store(ws)
    rows = {r["prompt_version"]: r for r in _jsonl(report.files["prompts"])}
    checks: dict[str, list[int]] = {}
    for path in StoreLayout(simulated).raw_files():
        for line in path.read_bytes().splitlines():
            e = orjson.loads(line)
            if e["kind"] == "gate_evaluation":
                c = checks.setdefault(e["prompt_version"], [0, 0, 0])
                c[0] += 1
                c[1] += e["validation_result"] == "pass"
                c[2] += e["retry_attempt"] - 1
    assert set(rows) == set(checks)
    for version, (n, passes, retries) in checks.items():
        assert rows[version]["checks"] == n
        assert rows[version]["success_rate"] == pytest.approx(passes / n, abs=1e-6)
        assert rows[version]["retry_rate"] == pytest.approx(retries / n, abs=1e-6)


def test_outputs_score_equals_the_recorded_quality(simulated):
    with Workspace(simulated) as ws:
        report = label_store(ws)
    recorded = {}
    for path in sorted(StoreLayout(simulated).raw.glob("*/project_*_summary.json")):
        s = orjson.loads(path.read_bytes())
        recorded[s["project_id"]] = s["outcome"]["quality_score"]
    rows = _jsonl(report.files["outputs"])
    assert len(rows) == len(recorded) > 100
    for row in rows:
        assert row["quality_score"] == pytest.approx(recorded[row["project_id"]], abs=0.005)


def test_label_cli(simulated):
    result = runner.invoke(app, ["label", "--root", str(simulated), "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = orjson.loads(result.stdout)["counts"]
    assert sum(counts["outputs"].values()) == 150
