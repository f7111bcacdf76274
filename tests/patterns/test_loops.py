"""Feedback-loop triggers (spec 5.1): each fires on data built to fire it, and not on
the same data just short of the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.collect import Collector
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.patterns.loops import evaluate_loops, quality_lower_bound
from autoforge_learn.patterns.tokens import proportions_z
from autoforge_learn.settings import Settings
from autoforge_learn.workspace import Workspace

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def build(root: Path, projects: list[dict[str, Any]]) -> None:
    """One project per dict: ``quality``, ``fails`` (reasons of failing first checks of
    prd_complete, each then passing), ``escalated``, ``tokens`` and ``version`` of the
    product stage, ``override`` (None: no decision), ``rejected`` (None: no feedback)."""
    c = Collector(root)
    for i, p in enumerate(projects):
        pid, t = f"p{i:03d}", T0 + timedelta(days=i)
        step = iter(range(1, 100))

        def now(t: datetime = t, step: Any = step) -> datetime:
            return t + timedelta(minutes=next(step))

        c.on_project_start(project_id=pid, recipe="web_app_v1", timestamp=now(),
                           created_at=t, platform="web")
        gate = dict(gate_id="prd_complete", stage="product", agent_role="product",
                    prompt_version=p.get("version", "product.v1.0"))
        attempt = 1
        for reason in p.get("fails", []):
            c.on_gate_evaluation(project_id=pid, validation_result="fail", retry_attempt=attempt,
                                 validation_reason=reason, timestamp=now(), **gate)
            attempt += 1
        c.on_gate_evaluation(project_id=pid, validation_result="pass", retry_attempt=attempt,
                             escalated=p.get("escalated", False), timestamp=now(), **gate)
        c.on_agent_stage_completion(project_id=pid, stage_id="product", agent_role="product",
                                    prompt_version=gate["prompt_version"],
                                    input_tokens=p.get("tokens", 100), output_tokens=0,
                                    succeeded=True, confidence=80, timestamp=now())
        c.on_gate_evaluation(project_id=pid, validation_result="pass", gate_id="api_contract",
                             stage="architecture", agent_role="architect", timestamp=now())
        c.on_agent_stage_completion(project_id=pid, stage_id="architecture",
                                    agent_role="architect", upstream_agent_role="product",
                                    succeeded=True, timestamp=now())
        if p.get("rejected") is not None:
            c.on_downstream_agent_feedback(project_id=pid, reporting_agent="architect",
                                           target_agent="product", feedback="PRD unclear",
                                           severity="major", rejected=p["rejected"],
                                           timestamp=now())
        if p.get("override") is not None:
            c.on_human_approval(project_id=pid, decision_type="tech_stack",
                                agent_role="engineer", agent_recommendation="A",
                                human_decision="B" if p["override"] else "A", timestamp=now())
        c.on_project_completion(project_id=pid, project_success="shipped",
                                quality_score=p.get("quality", 90.0), timestamp=now())
    c.close()


def loops(tmp_path: Path, projects: list[dict[str, Any]], **config: Any) -> set[str]:
    root = tmp_path / ".autoforge"
    build(root, projects)
    settings = Settings().merged({"loops": config})
    with Workspace(root, settings=settings) as ws:
        findings = detect_patterns(ws)
        return {a.loop_id for a in evaluate_loops(ws, findings)}


def base(n: int = 12) -> list[dict[str, Any]]:
    return [{"quality": 90.0 + (i % 3) - 1} for i in range(n)]


@pytest.mark.parametrize("times,fires", [(3, True), (2, False)])
def test_loop1_same_root_cause(tmp_path: Path, times: int, fires: bool) -> None:
    projects = base()
    for i in range(times):
        projects[i]["fails"] = [f"{i + 2} user stories lack acceptance criteria"]
    assert ("loop_1_gate_failures" in loops(tmp_path, projects)) is fires


@pytest.mark.parametrize("overrides,fires", [(2, True), (1, False)])
def test_loop2_overrides(tmp_path: Path, overrides: int, fires: bool) -> None:
    projects = base()
    for i in range(4):
        projects[i]["override"] = i < overrides
    assert ("loop_2_human_overrides" in loops(tmp_path, projects)) is fires


@pytest.mark.parametrize("rejected,fires", [(True, True), (False, False)])
def test_loop3_downstream_rejection(tmp_path: Path, rejected: bool, fires: bool) -> None:
    projects = base()
    projects[5]["rejected"] = rejected
    assert ("loop_3_downstream_feedback" in loops(tmp_path, projects)) is fires


@pytest.mark.parametrize("last,fires", [(70.0, True), (86.0, False)])
def test_loop4_quality_drop(tmp_path: Path, last: float, fires: bool) -> None:
    projects = base()
    projects[-1]["quality"] = last
    assert ("loop_4_quality_regression" in loops(tmp_path, projects)) is fires


def test_quality_prediction_interval() -> None:
    from scipy import stats

    prior = [90.0, 91.0, 89.0, 92.0, 88.0]
    m, s, n = 90.0, stats.tstd(prior), 5
    expected = m - stats.t.ppf(0.975, n - 1) * s * (1 + 1 / n) ** 0.5
    assert quality_lower_bound(prior) == pytest.approx(expected)
    assert quality_lower_bound([1.0, 2.0]) is None


@pytest.mark.parametrize("tokens,fires", [(130, True), (110, False)])
def test_loop5_tokens(tmp_path: Path, tokens: int, fires: bool) -> None:
    projects = base()
    for i, p in enumerate(projects):
        if i >= 6:
            p.update(version="product.v1.1", tokens=tokens)
    assert ("loop_5_token_efficiency" in loops(tmp_path, projects)) is fires


@pytest.mark.parametrize("recent_escalations,fires", [(8, True), (1, False)])
def test_loop6_escalation_shift(tmp_path: Path, recent_escalations: int, fires: bool) -> None:
    projects = base(30)
    for i in range(0, 20, 10):
        projects[i]["escalated"] = True
    for i in range(20, 20 + recent_escalations):
        projects[i]["escalated"] = True
    fired = loops(tmp_path, projects, recent_projects=10)
    assert ("loop_6_autonomy_calibration" in fired) is fires


@pytest.mark.parametrize("counts", [(8, 20, 2, 40), (3, 10, 3, 10), (0, 5, 4, 9)])
def test_two_proportion_test_matches_statsmodels(counts: tuple[int, int, int, int]) -> None:
    from statsmodels.stats.proportion import proportions_ztest

    k1, n1, k0, n0 = counts
    z, p = proportions_z(k1, n1, k0, n0)
    z_ref, p_ref = proportions_ztest([k1, k0], [n1, n0])
    assert z == pytest.approx(z_ref) and p == pytest.approx(p_ref)


def test_loop4_on_a_simulation_with_a_known_drop(tmp_path: Path) -> None:
    """One more project whose quality drops far below the previous projects' prediction
    interval fires loop 4 for that project, and changes nothing else."""
    from autoforge_learn.sim import simulate

    root = tmp_path / ".autoforge"
    simulate(root, projects=60, seed=5)
    everything = Settings().merged({"loops": {"recent_projects": 1000}})

    def fired() -> dict[str, Any]:
        with Workspace(root, settings=everything) as ws:
            return {a.evidence["project_id"]: a for a in evaluate_loops(ws, [])
                    if a.loop_id == "loop_4_quality_regression"}

    before = fired()
    assert len(before) <= 3  # the simulator's own blocked projects, at most a few
    c = Collector(root)
    late = datetime(2030, 1, 1, tzinfo=UTC)
    c.on_project_start(project_id="dropped", recipe="web_app_v2", timestamp=late,
                       created_at=late)
    c.on_project_completion(project_id="dropped", project_success="alpha_ready",
                            quality_score=20.0, timestamp=late + timedelta(hours=5))
    c.close()
    after = fired()
    assert set(after) == set(before) | {"dropped"}
    assert after["dropped"].evidence["prediction_lower"] > 20.0
