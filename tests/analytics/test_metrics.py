"""Every metric against hand-computed values, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoforge_learn.analyze import list_metrics
from autoforge_learn.analyze.metrics import METRICS
from autoforge_learn.errors import UsageError
from tests.helpers import metric_values

EXPECTED = {
    "gate_failure_rate": 4 / 7,
    "gate_pass_rate": 3 / 7,
    "gate_failures": 4,
    "avg_retries_per_task": 3 / 4,  # tasks need 1, 2, 0 and 0 retries
    "time_to_first_prototype": 5400,
    "tokens_per_loc": 5000 / 150,
    "tokens_per_success": 7500 / 3,  # (1500 + 3000 + 2000 + 1000) tokens, 3 succeeded
    "security_issues_missed_rate": 1 / 7,  # 1 / ((5 - 1) + (2 - 0) + 1)
    "autonomous_decision_confidence": 2 / 3,
    "agent_success_rate": 3 / 4,
    "human_override_rate": 1 / 3,
    "gate_override_rate": 1 / 7,
    "escalation_rate": 1 / 7,
    "auto_fix_success_rate": 2 / 3,
    "cost_per_project": 2.25 / 2,
    "quality_score": 70,
    "test_coverage": 70,
    "flaky_tests": 2,
    "p50_stage_duration": 250.0,
    "p95_stage_duration": 385.0,
    "downstream_rejection_rate": 1 / 4,
}


def test_catalogue_covers_the_spec() -> None:
    assert set(EXPECTED) == set(METRICS)
    for row in list_metrics():
        assert row["definition"] and row["unit"] and row["kind"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metric_value(root: Path, engine: str | None, name: str) -> None:
    rows = metric_values(root, name, engine=engine)
    assert len(rows) == 1
    assert rows[0]["value"] == pytest.approx(EXPECTED[name])
    if METRICS[name].kind == "ratio":
        assert rows[0]["numerator"] / rows[0]["denominator"] == pytest.approx(EXPECTED[name])


def _values(rows: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r["value"] for r in rows}


def test_group_by_and_filters(root: Path, engine: str | None) -> None:
    rows = metric_values(root, "gate_failure_rate", by=["role"], engine=engine)
    assert rows == [
        {"role": "architect", "value": 0.5, "numerator": 2, "denominator": 4},
        {"role": "engineer", "value": pytest.approx(2 / 3), "numerator": 2, "denominator": 3},
    ]
    rows = metric_values(root, "gate_pass_rate", by=["prompt_version"], engine=engine)
    assert _values(rows, "prompt_version") == {
        ("architect.v1.0",): 0.5,
        ("architect.v1.1",): 0.5,
        ("engineer.v1.0",): pytest.approx(1 / 3),
    }
    rows = metric_values(root, "gate_failure_rate", by=["recipe"], engine=engine)
    assert _values(rows, "recipe") == {("fin_v2",): 0.5, ("saas_app_v1",): 0.6}
    rows = metric_values(root, "gate_failure_rate", by=["domain", "month"], engine=engine)
    assert _values(rows, "domain", "month") == {
        ("fintech", "2025-10"): 0.5,
        ("saas", "2025-09"): 0.6,
    }
    rows = metric_values(root, "gate_failures", by=["gate"], engine=engine)
    assert _values(rows, "gate") == {
        ("api_contract",): 1,
        ("spec_complete",): 1,
        ("tests_pass",): 2,
    }
    rows = metric_values(root, "agent_success_rate", by=["model"], engine=engine)
    assert _values(rows, "model") == {("m1",): 1.0, ("m2",): 0.5}
    rows = metric_values(root, "downstream_rejection_rate", by=["role"], engine=engine)
    assert _values(rows, "role") == {("architect",): 0.5, ("engineer",): 0.0}
    rows = metric_values(root, "gate_failure_rate", since="2025-10-01", engine=engine)
    assert rows[0]["value"] == 0.5
    rows = metric_values(root, "gate_failure_rate", last_projects=1, engine=engine)
    assert rows[0]["value"] == 0.5
    rows = metric_values(root, "avg_retries_per_task", by=["role"], engine=engine)
    assert _values(rows, "role") == {("architect",): pytest.approx(1 / 3), ("engineer",): 2.0}


def test_unknown_metric_and_dimension(root: Path, engine: str | None) -> None:
    with pytest.raises(UsageError, match="unknown metric 'nope'"):
        metric_values(root, "nope", engine=engine)
    with pytest.raises(UsageError, match="did you mean gate_failure_rate"):
        metric_values(root, "gate_failure_rat", engine=engine)
    with pytest.raises(UsageError, match="'colour' is no dimension"):
        metric_values(root, "gate_failure_rate", by=["colour"], engine=engine)


def test_columns_match_the_models() -> None:
    from autoforge_learn.analyze.columns import verify_against_models

    assert verify_against_models() == []


def test_engine_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autoforge_learn.analyze.engine import resolve_engine

    assert resolve_engine(tmp_path).target == str(tmp_path / "index.duckdb")
    monkeypatch.setenv("AUTOFORGE_ENGINE", "postgresql://u@h:5433/db?schema=team_a&sslmode=off")
    spec = resolve_engine(tmp_path)
    assert (spec.kind, spec.schema) == ("postgres", "team_a")
    assert spec.target == "postgresql://u@h:5433/db?sslmode=off"
    assert resolve_engine(tmp_path, "duckdb").kind == "duckdb"  # the argument wins
    with pytest.raises(ValueError):
        resolve_engine(tmp_path, "mysql://x")
    with pytest.raises(ValueError):
        resolve_engine(tmp_path, "postgresql://h/db?schema=a;drop")
