"""The detectors' aggregations on a small hand-built store, with hand-computed numbers,
on DuckDB and on PostgreSQL (the ``engine`` fixture of the analytics tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.collect import Collector
from autoforge_learn.findings import Finding
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.selection import Selection
from autoforge_learn.settings import Settings
from autoforge_learn.workspace import Workspace


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC)


def build_store(root: Path) -> None:
    """Two projects. P1: product needs 3 checks of prd_complete (2 retries), architect
    passes first time and rejects the PRD. P2: product passes first time, architect needs
    one retry after an auto-fix."""
    c = Collector(root)
    for pid, day, recipe, platform, domain, team in (
        ("p1", 1, "web_app_v1", "web", "saas", 3), ("p2", 2, "web_app_v2", "mobile", "fintech", 2)
    ):
        c.on_project_start(project_id=pid, recipe=recipe, created_at=at(day, 8),
                           timestamp=at(day, 8), platform=platform, client_domain=domain,
                           team_size=team)
    gate = dict(stage="product", agent_role="product", prompt_version="product.v1.0",
                gate_id="prd_complete")
    c.on_gate_evaluation(project_id="p1", validation_result="fail", retry_attempt=1,
                         validation_reason="2 user stories lack acceptance criteria",
                         auto_fix_applied=True, auto_fix_strategy="fill_template",
                         auto_fix_success=False, timestamp=at(1, 9), **gate)
    c.on_gate_evaluation(project_id="p1", validation_result="fail", retry_attempt=2,
                         validation_reason="3 user stories lack acceptance criteria",
                         timestamp=at(1, 9, 30), **gate)
    c.on_gate_evaluation(project_id="p1", validation_result="pass", retry_attempt=3,
                         timestamp=at(1, 10), **gate)
    c.on_agent_stage_completion(project_id="p1", stage_id="product", agent_role="product",
                                prompt_version="product.v1.0", input_tokens=100,
                                output_tokens=50, confidence=80, succeeded=True,
                                timestamp=at(1, 11))
    arch = dict(stage="architecture", agent_role="architect", prompt_version="architect.v1.0",
                gate_id="api_contract_present")
    c.on_gate_evaluation(project_id="p1", validation_result="pass", timestamp=at(1, 12), **arch)
    c.on_downstream_agent_feedback(project_id="p1", reporting_agent="architect",
                                   target_agent="product", target_stage="product",
                                   feedback="PRD lacks acceptance criteria", severity="major",
                                   rejected=True, timestamp=at(1, 12, 30))
    c.on_agent_stage_completion(project_id="p1", stage_id="architecture", agent_role="architect",
                                prompt_version="architect.v1.0", input_tokens=200,
                                output_tokens=100, confidence=90, succeeded=True,
                                upstream_stage="product", upstream_agent_role="product",
                                timestamp=at(1, 13))
    c.on_human_approval(project_id="p1", decision_type="tech_stack", agent_role="engineer",
                        agent_recommendation="A", human_decision="B",
                        options_offered=["A", "B", "C"], human_reasoning="Team knows B",
                        timestamp=at(1, 14))
    c.on_project_completion(project_id="p1", project_success="shipped", quality_score=90,
                            time_to_completion=1000, token_cost_total=1.0, timestamp=at(1, 15))

    c.on_gate_evaluation(project_id="p2", validation_result="pass", timestamp=at(2, 9), **gate)
    c.on_agent_stage_completion(project_id="p2", stage_id="product", agent_role="product",
                                prompt_version="product.v1.0", input_tokens=100,
                                output_tokens=50, confidence=60, succeeded=True,
                                timestamp=at(2, 10))
    c.on_gate_evaluation(project_id="p2", validation_result="fail", retry_attempt=1,
                         validation_reason="No OpenAPI contract found at api/openapi.yaml",
                         auto_fix_applied=True, auto_fix_strategy="draft_stub",
                         auto_fix_success=True, timestamp=at(2, 11), **arch)
    c.on_gate_evaluation(project_id="p2", validation_result="pass", retry_attempt=2,
                         timestamp=at(2, 11, 30), **arch)
    c.on_agent_stage_completion(project_id="p2", stage_id="architecture", agent_role="architect",
                                prompt_version="architect.v1.0", input_tokens=200,
                                output_tokens=100, confidence=70, succeeded=True,
                                upstream_stage="product", upstream_agent_role="product",
                                timestamp=at(2, 12))
    c.on_human_approval(project_id="p2", decision_type="tech_stack", agent_role="engineer",
                        agent_recommendation="A", human_decision="A",
                        options_offered=["A", "B", "C"], human_reasoning="Fine",
                        timestamp=at(2, 14))
    c.on_project_completion(project_id="p2", project_success="alpha_ready", quality_score=70,
                            time_to_completion=3000, token_cost_total=2.0, timestamp=at(2, 15))
    c.close()


def _dumped(items: list[Any]) -> list[dict[str, Any]]:
    return [i.model_dump() for i in items]


@pytest.fixture
def findings(tmp_path: Path, open_ws: Callable[..., Workspace]) -> dict[str, Finding]:
    root = tmp_path / ".autoforge"
    build_store(root)
    ws = open_ws(root, {"patterns": {"min_sample": 1}})
    return {f.id: f for f in detect_patterns(ws)}


def test_retries(findings: dict[str, Finding]) -> None:
    product = findings["retry_hotspot:agent_role=product"]
    assert product.value == pytest.approx(1.0)  # (2 + 0) / 2 stages
    assert product.evidence.retries_total == 2 and product.evidence.stages == 2
    assert _dumped(product.evidence.top_gates) == [{"gate_id": "prd_complete", "retries": 2}]
    assert findings["retry_hotspot:agent_role=architect"].value == pytest.approx(0.5)
    assert findings["retry_hotspot:agent_role=product,platform=web"].value == pytest.approx(2.0)
    assert findings["retry_hotspot:agent_role=architect,client_domain=fintech"].value == 1.0


def test_gate_root_cause(findings: dict[str, Finding]) -> None:
    gate = [f for f in findings.values() if f.pattern == "gate_failure_root_cause"
            and f.key["gate_id"] == "prd_complete"]
    assert len(gate) == 1  # both wordings in one cluster
    ev = gate[0].evidence
    assert (ev.failures, ev.gate_checks, ev.gate_failures) == (2, 4, 2)
    assert ev.gate_failure_rate == 0.5 and ev.retries == 1
    assert ev.versions == {"product.v1.0": 2}
    assert {p.text for p in ev.phrasings} == {
        "2 user stories lack acceptance criteria", "3 user stories lack acceptance criteria"}
    assert gate[0].value == 0.5 and gate[0].examples[0].text is not None


def test_handoff(findings: dict[str, Finding]) -> None:
    h = findings["handoff:from_role=product,to_role=architect"]
    assert (h.evidence.handoffs, h.evidence.rejections) == (2, 1)
    assert h.evidence.downstream_pass_rate == 0.5
    assert h.evidence.info_quality_score == pytest.approx(round(0.5 / 1.5, 4))
    assert _dumped(h.evidence.feedback) == [
        {"text": "PRD lacks acceptance criteria", "count": 1, "severity": "major"}]


def test_override(findings: dict[str, Finding]) -> None:
    o = findings["human_override:agent_role=engineer,decision_type=tech_stack"]
    assert (o.evidence.decisions, o.evidence.overrides, o.value) == (2, 1, 0.5)
    assert o.evidence.adjacent_share == 1.0
    assert _dumped(o.evidence.chosen_instead) == [{"text": "B", "count": 1}]
    # two projects are too few for any claim: listed as inconclusive, never acted on
    assert str(o.status) == "inconclusive" and str(o.severity) == "low"
    assert o.hypothesis is not None and o.hypothesis.baseline == "threshold 0.5"


def test_calibration(findings: dict[str, Finding]) -> None:
    c = findings["confidence_calibration:agent_role=product"]
    # p1: stated 0.8, failed first check; p2: stated 0.6, passed first time.
    assert c.evidence.brier == pytest.approx((0.8**2 + 0.4**2) / 2)
    assert c.evidence.gap == pytest.approx(20.0)
    assert c.evidence.ece == pytest.approx(0.5 * 0.8 + 0.5 * 0.4)
    assert [(b.lower, b.count) for b in c.evidence.buckets] == [(0.4, 1), (0.6, 1)]


def test_autofix_and_tokens(findings: dict[str, Finding]) -> None:
    assert findings["auto_fix_strategy:strategy=draft_stub"].value == 1.0
    assert findings["auto_fix_strategy:strategy=fill_template"].evidence.rank == 2
    # one prompt version per role: nothing to compare token use with
    assert not [f for f in findings.values() if f.pattern == "token_efficiency"]


def test_recipes(findings: dict[str, Finding]) -> None:
    r1 = findings["recipe_effectiveness:recipe=web_app_v1"]
    assert r1.evidence.model_dump(exclude={"type"}) == {
        "projects": 1, "shipped": 1, "success_rate": 1.0, "avg_time": 1000.0,
        "avg_quality": 90.0, "avg_cost": 1.0}
    cmp = findings["recipe_effectiveness:recipe=web_app,versions=web_app_v1->web_app_v2"]
    assert cmp.value == pytest.approx(-20.0)


def test_filters(tmp_path: Path, open_ws: Callable[..., Workspace]) -> None:
    root = tmp_path / ".autoforge"
    build_store(root)
    ws = open_ws(root)

    def detect(pattern: str, **options: Any) -> list[Finding]:
        return detect_patterns(ws, Selection.build(**options), patterns=[pattern])

    last = detect("retry_hotspot", last_projects=1)
    assert {f.id: f.value for f in last}["retry_hotspot:agent_role=architect"] == 1.0
    since = detect("human_override", since="2025-06-02")
    assert since[0].evidence.decisions == 1
    web = detect("retry_hotspot", recipe="web_app_v1")
    assert {f.id: f.value for f in web}["retry_hotspot:agent_role=product"] == 2.0
    family = detect("retry_hotspot", recipe="web_app")
    assert {f.id: f.value for f in family}["retry_hotspot:agent_role=product"] == 1.0


def test_thresholds_come_from_the_config_file(tmp_path: Path) -> None:
    root = tmp_path / ".autoforge"
    build_store(root)
    (root / "config.yaml").write_text("patterns:\n  retry_hotspot:\n    threshold: 0.25\n")
    with Workspace(root) as ws:
        found = {f.id: f for f in detect_patterns(ws, patterns=["retry_hotspot"])}
    architect = found["retry_hotspot:agent_role=architect"]
    assert architect.threshold == 0.25 and architect.hypothesis.baseline == "threshold 0.25"
    assert str(architect.status) == "inconclusive"  # two projects
    assert architect.thin_evidence  # inconclusive: too few projects
    overrides = Settings().merged({"patterns": {"retry_hotspot": {"threshold": 5}}})
    with Workspace(root, settings=overrides) as ws:
        again = detect_patterns(ws, patterns=["retry_hotspot"])
    assert all(f.threshold == 5 for f in again)


def test_no_handoff_claim_without_feedback_from_the_downstream_role(
    tmp_path: Path, open_ws: Callable[..., Workspace]
) -> None:
    """qa never reports feedback: its handoffs from engineer have no rejection rate (no
    "0% rejected" finding), while architect's feedback still measures product's."""
    root = tmp_path / ".autoforge"
    build_store(root)
    c = Collector(root)
    for pid, day in (("p1", 1), ("p2", 2)):
        for hour, role in ((16, "engineer"), (17, "qa")):
            c.on_agent_stage_completion(project_id=pid, stage_id=role, agent_role=role,
                                        succeeded=True, timestamp=at(day, hour))
    c.close()
    ws = open_ws(root, {"patterns": {"min_sample": 1}})
    pairs = {f.id for f in detect_patterns(ws) if f.id.startswith("handoff:")}
    assert "handoff:from_role=product,to_role=architect" in pairs
    assert not any("to_role=qa" in p for p in pairs), pairs
