"""Data of the analytics tests (the ``engine`` and ``open_ws`` fixtures, which run each
test on DuckDB and on PostgreSQL, are in ``tests/conftest.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from autoforge_learn.collect import Collector


def ts(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


FLAT_GATE = {
    "project_id": "B",
    "stage": "architecture",
    "agent_role": "architect",
    "agent_model": "claude-3-5-sonnet",
    "prompt_version": "architect.v1.1",
    "gate_id": "spec_complete",
    "gate_result": "fail",
    "gate_result_reason": "File does not exist at api/openapi.yaml",
    "retry_attempt": 1,
    "auto_fix_applied": True,
    "auto_fix_strategy": "architect_drafts_stub",
    "auto_fix_success": True,
    "downstream_feedback": None,
    "timestamp": "2025-10-02T14:30:00Z",
}


def make_dataset(root: Path) -> Path:
    """Two projects with hand-checkable numbers (see test_metrics.EXPECTED)."""
    c = Collector(root, survey_sample_rate=1.0)
    a, b = "A", "B"
    c.on_project_start(
        project_id=a, recipe="saas_app_v1", client_domain="saas", timestamp=ts("2025-09-01", 8)
    )
    stage = dict(project_id=a, agent_model="m1")
    c.on_agent_stage_completion(
        **stage,
        stage_id="architecture",
        agent_role="architect",
        prompt_version="architect.v1.0",
        input_tokens=1000,
        output_tokens=500,
        total_cost=0.5,
        duration_seconds=100,
        succeeded=True,
        timestamp=ts("2025-09-01", 9),
    )
    c.on_agent_stage_completion(
        project_id=a,
        agent_model="m2",
        stage_id="engineering",
        agent_role="engineer",
        prompt_version="engineer.v1.0",
        input_tokens=2000,
        output_tokens=1000,
        total_cost=1.0,
        duration_seconds=300,
        lines_of_code=100,
        succeeded=False,
        timestamp=ts("2025-09-02", 9),
    )
    c.on_agent_stage_completion(
        project_id=a,
        agent_model="m2",
        stage_id="engineering",
        agent_role="engineer",
        prompt_version="engineer.v1.0",
        input_tokens=1000,
        output_tokens=1000,
        total_cost=0.5,
        duration_seconds=200,
        lines_of_code=50,
        succeeded=True,
        attempt=2,
        timestamp=ts("2025-09-03", 9),
    )
    arch = dict(
        project_id=a,
        stage="architecture",
        agent_role="architect",
        agent_model="m1",
        prompt_version="architect.v1.0",
        gate_id="api_contract",
    )
    c.on_gate_evaluation(
        **arch,
        validation_result="fail",
        retry_attempt=1,
        auto_fix_applied=True,
        auto_fix_success=True,
        timestamp=ts("2025-09-01", 10),
    )
    c.on_gate_evaluation(
        **arch, validation_result="pass", retry_attempt=2, timestamp=ts("2025-09-01", 11)
    )
    eng = dict(
        project_id=a,
        stage="engineering",
        agent_role="engineer",
        agent_model="m2",
        prompt_version="engineer.v1.0",
        gate_id="tests_pass",
    )
    c.on_gate_evaluation(
        **eng,
        validation_result="fail",
        retry_attempt=1,
        human_override=True,
        escalated=True,
        timestamp=ts("2025-09-02", 10),
    )
    c.on_gate_evaluation(
        **eng,
        validation_result="fail",
        retry_attempt=2,
        auto_fix_applied=True,
        auto_fix_success=False,
        timestamp=ts("2025-09-03", 10),
    )
    c.on_gate_evaluation(
        **eng, validation_result="pass", retry_attempt=3, timestamp=ts("2025-09-03", 11)
    )
    c.on_test_execution(
        project_id=a,
        tests_executed=10,
        tests_passed=9,
        test_coverage_percent=80,
        flaky_tests=2,
        timestamp=ts("2025-09-04"),
    )
    c.on_security_scan(
        project_id=a, vulnerabilities_found=5, false_positives=1, timestamp=ts("2025-09-04")
    )
    c.on_human_approval(
        project_id=a,
        decision_type="tech_stack",
        agent_recommendation="pg",
        human_decision="pg",
        timestamp=ts("2025-09-04"),
    )
    c.on_human_approval(
        project_id=a,
        decision_type="architecture_choice",
        agent_recommendation="monolith",
        human_decision="services",
        timestamp=ts("2025-09-04"),
    )
    c.on_downstream_agent_feedback(
        project_id=a,
        reporting_agent="engineer",
        target_agent="architect",
        target_stage="architecture",
        feedback="missing error codes",
        severity="major",
        timestamp=ts("2025-09-02"),
    )
    c.on_project_completion(
        project_id=a,
        project_success="shipped",
        quality_score=90,
        time_to_first_prototype=3600,
        security_issues_missed=1,
        timestamp=ts("2025-09-05"),
    )
    c.on_project_start(
        project_id=b, recipe="fin_v2", client_domain="fintech", timestamp=ts("2025-10-01", 8)
    )
    c.on_agent_stage_completion(
        project_id=b,
        agent_model="m1",
        stage_id="architecture",
        agent_role="architect",
        prompt_version="architect.v1.1",
        input_tokens=500,
        output_tokens=500,
        total_cost=0.25,
        duration_seconds=400,
        lines_of_code=0,
        succeeded=True,
        timestamp=ts("2025-10-01", 9),
    )
    c.on_gate_evaluation(
        project_id=b,
        stage="architecture",
        agent_role="architect",
        agent_model="m1",
        prompt_version="architect.v1.1",
        gate_id="api_contract",
        validation_result="pass",
        retry_attempt=1,
        timestamp=ts("2025-10-01", 10),
    )
    c.on_test_execution(
        project_id=b,
        tests_executed=4,
        tests_passed=4,
        test_coverage_percent=60,
        flaky_tests=0,
        timestamp=ts("2025-10-03"),
    )
    c.on_security_scan(
        project_id=b, vulnerabilities_found=2, false_positives=0, timestamp=ts("2025-10-03")
    )
    c.on_human_approval(
        project_id=b,
        decision_type="tech_stack",
        agent_recommendation="pg",
        human_decision="pg",
        timestamp=ts("2025-10-03"),
    )
    c.on_project_completion(
        project_id=b,
        project_success="blocked",
        quality_score=50,
        time_to_first_prototype=7200,
        security_issues_missed=0,
        timestamp=ts("2025-10-04"),
    )
    c.close()
    gates_b = c.layout.raw_file(b, "2025-10", "gates")
    with open(gates_b, "ab") as handle:  # the spec's flat example format
        handle.write(orjson.dumps(FLAT_GATE) + b"\n")
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_dataset(tmp_path / ".autoforge")
