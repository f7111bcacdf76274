"""Every detector and loop survives whatever a small store holds: empty groups, zero
denominators, a single project, one version, no feedback, odd timestamps (a property
test over random small stores)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoforge_learn.collect import Collector
from autoforge_learn.findings import Status
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.patterns.loops import evaluate_loops
from autoforge_learn.suggest import suggest
from autoforge_learn.workspace import Workspace

T0 = datetime(2025, 6, 1, tzinfo=UTC)
ROLES = ("product", "architect", "engineer", "qa")
GATES = ("g1", "g2")
REASONS = ("missing error codes", "Tests fail on Pixel 6", "", "module 'os' has no attribute")

event = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(("gate", "stage", "feedback", "approval", "escalation", "tests")),
        "role": st.sampled_from(ROLES),
        "gate": st.sampled_from(GATES),
        "result": st.sampled_from(("pass", "fail", "ambiguous")),
        "attempt": st.integers(1, 4),
        "version": st.sampled_from((None, "v1.0", "v1.1")),
        "tokens": st.integers(0, 5000),
        "succeeded": st.sampled_from((None, True, False)),
        "confidence": st.sampled_from((None, 0.0, 55.5, 100.0)),
        "reason": st.sampled_from(REASONS),
        "fix": st.sampled_from((None, "stub", "retry")),
        "minutes": st.integers(0, 600),
    }
)
project = st.fixed_dictionaries(
    {
        "recipe": st.sampled_from(("web_app_v1", "web_app_v2", "api_v1")),
        "platform": st.sampled_from((None, "web", "mobile")),
        "quality": st.sampled_from((None, 0.0, 50.0, 100.0)),
        "events": st.lists(event, max_size=12),
    }
)


def _write(root: Path, projects: list[dict]) -> None:
    c = Collector(root)
    for i, p in enumerate(projects):
        pid, start = f"p{i}", T0 + timedelta(days=i)
        c.on_project_start(project_id=pid, recipe=p["recipe"], timestamp=start,
                           created_at=start, platform=p["platform"])
        for e in p["events"]:
            _event(c, pid, start + timedelta(minutes=e["minutes"] + 1), e)
        if p["quality"] is not None:
            c.on_project_completion(project_id=pid, project_success="shipped",
                                    quality_score=p["quality"], timestamp=start + timedelta(days=1))
    c.close()


def _event(c: Collector, pid: str, at: datetime, e: dict) -> None:
    role = e["role"]
    version = f"{role}.{e['version']}" if e["version"] else None
    if e["kind"] == "gate":
        c.on_gate_evaluation(
            project_id=pid, gate_id=e["gate"], stage=role, agent_role=role,
            prompt_version=version, validation_result=e["result"],
            validation_reason=e["reason"] or None, retry_attempt=e["attempt"],
            auto_fix_applied=e["fix"] is not None, auto_fix_strategy=e["fix"],
            auto_fix_success=e["succeeded"] if e["fix"] else None, timestamp=at)
    elif e["kind"] == "stage":
        c.on_agent_stage_completion(
            project_id=pid, stage_id=role, agent_role=role, prompt_version=version,
            input_tokens=e["tokens"], output_tokens=0, succeeded=e["succeeded"],
            confidence=e["confidence"], upstream_agent_role="product", timestamp=at)
    elif e["kind"] == "feedback":
        c.on_downstream_agent_feedback(
            project_id=pid, reporting_agent="qa", target_agent=role, feedback=e["reason"] or "x",
            severity="major", rejected=bool(e["succeeded"]), timestamp=at)
    elif e["kind"] == "approval":
        c.on_human_approval(
            project_id=pid, decision_type="tech_stack", agent_role=role,
            agent_recommendation="A", human_decision="B" if e["succeeded"] else "A",
            prompt_version=version, timestamp=at)
    elif e["kind"] == "escalation":
        c.on_escalation(project_id=pid, reason=e["reason"] or "stuck", gate_id=e["gate"],
                        resolved=e["succeeded"], timestamp=at)
    else:
        c.on_test_execution(project_id=pid, tests_executed=10, tests_passed=e["attempt"],
                            test_coverage_percent=e["confidence"], timestamp=at)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(project, min_size=1, max_size=6))
def test_detectors_loops_and_rules_survive_small_stores(projects: list[dict]) -> None:
    base = Path(tempfile.mkdtemp(prefix="af-robust-"))
    try:
        root = base / ".autoforge"
        _write(root, projects)
        with Workspace(root) as ws:
            findings = detect_patterns(ws)
            actions = evaluate_loops(ws, findings)
            suggest(findings, ws.registry(), now=T0)
        # six projects at most: nothing is ever a discovery, nothing fires
        assert all(f.status != Status.DISCOVERY for f in findings)
        assert actions == []
        for f in findings:
            assert f.to_dict()["id"] == f.id  # JSON-ready, whatever the data
    finally:
        shutil.rmtree(base, ignore_errors=True)
