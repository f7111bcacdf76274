"""Realistic findings (shaped like the detectors' output) and a small prompt registry."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from autoforge_learn.findings import (
    CalibrationEvidence,
    Example,
    FeedbackCount,
    Finding,
    GateCauseEvidence,
    GateRetries,
    HandoffEvidence,
    Hypothesis,
    OverrideEvidence,
    Pattern,
    RetryEvidence,
    Segment,
    Severity,
    Status,
    TextCount,
    TokenEvidence,
)
from autoforge_learn.registry import PromptRegistry

ARCHITECT_V10 = {
    "role_definition": (
        "You are the software architect agent. Design a system that satisfies the PRD "
        "and the recipe's constraints, and hand the engineer an unambiguous contract."
    ),
    "API_contract_generation": (
        "Generate an OpenAPI 3.1 contract at api/openapi.yaml with models, endpoints, "
        "and responses."
    ),
    "data_modeling": (
        "Define every entity with its fields, types and relations in docs/data-model.md, "
        "and a migration for each schema change."
    ),
    "decision_records": (
        "Record architecture and tech stack choices as ADRs with the options considered."
    ),
}
VERBOSE = (
    "Before answering, restate the full context you were given, then explain the reasoning "
    "behind every decision in complete prose.\nRepeat the key constraints at the end of each "
    "section so that no reader can miss them."
)
QA_V10 = {
    "role_definition": (
        "You are the QA agent. Write and run the tests that show the MVP meets its "
        "acceptance criteria."
    ),
    "test_strategy": (
        "Cover each acceptance criterion with at least one automated test; report "
        "coverage and flaky tests."
    ),
    "reporting": "Report failures with reproduction steps and the failing assertion.",
}
ENGINEER_V10 = {
    "role_definition": (
        "You are the software engineer agent. Implement the MVP against the API contract "
        "and the wireframes, with tests, and keep the build green."
    ),
    "implementation_rules": (
        "Implement every endpoint of api/openapi.yaml exactly as specified. Keep "
        "functions small; no dead code."
    ),
    "output_format": "Reply with a summary of changed files and a short test report.",
}
SECURITY_V10 = {
    "role_definition": "You are the security engineer agent. Review design and code.",
    "scanning": "Run dependency, secret and static analysis scans; classify findings.",
    "risk_acceptance": (
        "For every finding you do not fix, recommend fix, accept or defer, with the "
        "residual risk."
    ),
}


def make_registry(root: Path) -> PromptRegistry:
    """architect v1.0 -> v2.0 (adds verbose sections), qa, engineer, security v1.0."""
    reg = PromptRegistry(root)
    day = date(2025, 5, 1)
    reg.new_version("architect", sections=ARCHITECT_V10, changes=["Initial version"], created=day)
    reg.new_version(
        "architect",
        sections={
            "design_rationale": VERBOSE,
            "decision_records": ARCHITECT_V10["decision_records"]
            + "\nRestate the PRD and every prior decision verbatim before each ADR.",
        },
        changes=["Added exhaustive design rationale section"],
        major=True,
        created=date(2025, 8, 29),
    )
    reg.new_version("qa", sections=QA_V10, changes=["Initial version"], created=day)
    reg.new_version("engineer", sections=ENGINEER_V10, changes=["Initial version"], created=day)
    reg.new_version("security", sections=SECURITY_V10, changes=["Initial version"], created=day)
    return reg


ERROR_PHRASINGS = [
    {"text": "Endpoint POST /orders has no error responses defined", "count": 14},
    {"text": "Missing error code definitions for 4 endpoints", "count": 11},
    {"text": "No 4xx/5xx responses in contract for /invoices", "count": 9},
    {"text": "Missing error code definitions for 7 endpoints", "count": 2},
]


def discovery(finding: Finding, *, q: float = 0.001) -> Finding:
    """The finding as the run's judgement leaves a discovery: a tested claim over its
    projects (one per observation here) whose adjusted p-value is ``q``."""
    projects = max(int(finding.sample_size), 3)
    finding.hypothesis = Hypothesis(
        claim=finding.title, test="one-sided t over projects", p_value=q, effect=0.1,
        effect_low=0.05, effect_high=0.15, baseline="the threshold", projects=projects,
        q_value=q,
    )
    finding.status = Status.DISCOVERY
    finding.projects = projects
    return finding


def _texts(items: list[dict]) -> list[TextCount]:
    return [TextCount(text=i["text"], count=i["count"]) for i in items]


def _segment(by: str, value: str, failures: int, checks: int) -> Segment:
    return Segment(by=by, value=value, failures=failures, checks=checks,
                   rate=round(failures / checks, 4), p_concentrated=0.001, rate_ratio=3.0)


def gate_root_cause(*, thin: bool = False, retries: int = 6, failures: int = 36) -> Finding:
    return discovery(Finding(
        pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
        key={"gate_id": "api_contract_present", "cause": "missing error definitions"},
        title="api_contract_present fails 26% for missing error definitions",
        severity=Severity.HIGH,
        metric="failure_rate",
        value=0.26,
        interval=(0.2, 0.33),
        sample_size=12 if thin else 140,
        threshold=0.1,
        impact=23.0,
        thin_evidence=thin,
        agent_role="architect",
        prompt_version="architect.v1.0",
        evidence=GateCauseEvidence(
            gate_id="api_contract_present",
            stage="architecture",
            cause="missing error definitions",
            failures=failures,
            gate_failures=47,
            gate_checks=140,
            gate_failure_rate=0.336,
            share_of_failures=0.766,
            retries=retries,
            phrasings=_texts(ERROR_PHRASINGS),
            versions={"architect.v1.0": 31, "architect.v2.0": 5},
            segment=_segment("prompt_version", "architect.v1.0", 31, 90),
        ),
        examples=[
            Example("0196a0b7e9fdacbd1b54a52fc17e060d", "sim-00003",
                    "Endpoint POST /orders has no error responses defined"),
            Example("0196a1c0aa11aa22bb33cc44dd55ee66", "sim-00007",
                    "Missing error code definitions for 4 endpoints"),
        ],
    ))


def mobile_root_cause() -> Finding:
    return discovery(Finding(
        pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
        key={"gate_id": "test_coverage", "cause": "mobile scenarios missing"},
        title="test_coverage fails 31% for mobile scenarios missing",
        severity=Severity.HIGH, metric="failure_rate", value=0.31, sample_size=96,
        agent_role="qa", prompt_version="qa.v1.0", impact=18.0,
        evidence=GateCauseEvidence(
            gate_id="test_coverage", stage="qa", cause="mobile scenarios missing",
            failures=30, gate_failures=41, gate_checks=96, gate_failure_rate=0.427,
            share_of_failures=0.73, retries=52,
            phrasings=_texts([
                {"text": "No tests for offline mode on Parcel map", "count": 12},
                {"text": "GPS accuracy / location permission scenarios untested (6 flows)",
                 "count": 10},
                {"text": "Mobile-specific scenarios missing: app backgrounding during checkout",
                 "count": 8},
            ]),
            versions={"qa.v1.0": 30},
            segment=_segment("platform", "mobile", 30, 60),
        ),
        examples=[Example("0196b0000000000000000000000000a1", "sim-00011",
                          "No tests for offline mode on Parcel map")],
    ))


def dependency_root_cause() -> Finding:
    return discovery(Finding(
        pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
        key={"gate_id": "build_passes", "cause": "dependency conflict"},
        title="build_passes fails 9% for dependency conflict",
        severity=Severity.MEDIUM, metric="failure_rate", value=0.09, sample_size=150,
        agent_role="engineer", impact=6.0,
        evidence=GateCauseEvidence(
            gate_id="build_passes", stage=None, cause="dependency conflict", failures=14,
            gate_failures=21, gate_checks=150, gate_failure_rate=0.14, share_of_failures=0.6,
            retries=4,
            phrasings=_texts([
                {"text": "Dependency conflict: axios@1.2.3 vs axios@1.4.0", "count": 6},
                {"text": "npm ERR! ERESOLVE could not resolve react-router", "count": 5},
            ]),
            versions={},
            segment=_segment("all", "all", 14, 150),
        ),
        examples=[Example("0196c000000000000000000000000001", "sim-00020",
                          "npm ERR! ERESOLVE could not resolve react-router")],
    ))


def retry_hotspot(*, thin: bool = False) -> Finding:
    return discovery(Finding(
        pattern=Pattern.RETRY_HOTSPOT,
        key={"agent_role": "qa", "platform": "mobile"},
        title="qa on mobile: 2.1 avg retries vs threshold 1.0",
        severity=Severity.HIGH, metric="avg_retries", value=2.1, sample_size=8 if thin else 40,
        threshold=1.0, thin_evidence=thin, agent_role="qa", impact=44.0,
        evidence=RetryEvidence(
            avg_retries=2.1, stages=40, retries_total=84,
            top_gates=[GateRetries(gate_id="tests_pass", retries=46),
                       GateRetries(gate_id="test_coverage", retries=30)],
            top_reasons=_texts([{"text": "Tests fail on Pixel 6 (Android 13)", "count": 9},
                                {"text": "No tests for offline mode on Parcel map", "count": 7}]),
        ),
        examples=[Example("0196d000000000000000000000000001", "sim-00031",
                          "UI test crash on iPhone SE (iOS 16) (iOS 17)")],
    ))


def handoff() -> Finding:
    return discovery(Finding(
        pattern=Pattern.HANDOFF,
        key={"from_role": "architect", "to_role": "engineer"},
        title="architect -> engineer: 28% of handoffs rejected",
        severity=Severity.HIGH, metric="rejection_rate", value=0.28, sample_size=50,
        agent_role="architect", impact=9.0,
        evidence=HandoffEvidence(
            handoffs=50, rejections=14, rejection_rate=0.28,
            downstream_pass_rate=0.71, downstream_avg_retries=0.4, info_quality_score=0.55,
            feedback=[
                FeedbackCount(text="API contract incomplete (missing error codes for /orders)",
                              count=7, severity="major"),
                FeedbackCount(
                    text="Auth flow undefined for /auth/refresh; had to guess token handling",
                    count=4, severity="major"),
                FeedbackCount(
                    text="Data model lacks a Parcel-Valuation relation needed by Parcel map",
                    count=3, severity="minor"),
            ],
        ),
    ))


def override(
    decision_type: str, role: str, reasons: list[tuple[str, int]], *,
    overrides: int = 12, decisions: int = 20, adjacent: float | None = 0.6,
    chosen: list[tuple[str, int]] | None = None,
) -> Finding:
    evidence = OverrideEvidence(
        decisions=decisions, overrides=overrides, override_rate=overrides / decisions,
        reasons=[TextCount(text=t, count=c) for t, c in reasons],
        chosen_instead=[TextCount(text=t, count=c) for t, c in chosen or []],
        adjacent_share=adjacent,
    )
    return discovery(Finding(
        pattern=Pattern.HUMAN_OVERRIDE, key={"decision_type": decision_type, "agent_role": role},
        title=f"{role} {decision_type} overridden {overrides / decisions:.0%}",
        severity=Severity.HIGH, metric="override_rate", value=overrides / decisions,
        sample_size=decisions, agent_role=role, impact=float(overrides), evidence=evidence,
    ))


def feature_priority_override() -> Finding:
    return override(
        "feature_priority", "engineer",
        [("Client's revenue depends on this feature first.", 5),
         ("Sales committed this to a customer for next month.", 4),
         ("Agent ignored the customer's main pain point.", 3)],
        chosen=[("CSV export", 4), ("billing page", 3)],
    )


def tech_stack_override() -> Finding:
    return override(
        "tech_stack", "engineer",
        [("Team already knows this stack.", 4), ("Client mandates this stack.", 3),
         ("Licensing and hosting cost.", 2)],
        overrides=9, decisions=16, chosen=[("Next.js", 5), ("SvelteKit", 4)],
    )


def token_efficiency() -> Finding:
    return discovery(Finding(
        pattern=Pattern.TOKEN_EFFICIENCY,
        key={"prompt_version": "architect.v2.0"},
        title="architect.v2.0 uses 38% more tokens per success than architect.v1.0",
        severity=Severity.MEDIUM, metric="avg_tokens_per_success", value=12400.0,
        sample_size=60, baseline=9000.0, agent_role="architect",
        prompt_version="architect.v2.0", impact=3400.0,
        evidence=TokenEvidence(
            avg_tokens_per_success=12400.0, best_version="architect.v1.0",
            best_avg_tokens=9000.0, excess_ratio=0.38, pass_rate=0.86,
            pass_rate_interval=[], best_pass_rate=0.87, p_better_quality=None,
            executions=60, successes=52,
        ),
    ))


def calibration() -> Finding:
    return discovery(Finding(
        pattern=Pattern.CONFIDENCE_CALIBRATION, key={"agent_role": "engineer"},
        title="engineer overconfident by 18 points", severity=Severity.HIGH, metric="ece",
        value=0.18, sample_size=150, agent_role="engineer",
        evidence=CalibrationEvidence(
            ece=0.18, brier=0.2, mean_confidence=85.0, success_rate=0.67, gap=18.0,
            direction="overconfident", buckets=[],
        ),
    ))


def all_findings() -> list[Finding]:
    return [
        gate_root_cause(), mobile_root_cause(), dependency_root_cause(), retry_hotspot(),
        handoff(), feature_priority_override(), tech_stack_override(), token_efficiency(),
        calibration(),
    ]


def suggest_in(root: Path, findings: list[Finding], *, now: datetime) -> tuple[list, Path | None]:
    """``suggest_from_root`` on a workspace of ``root`` (as one command would run it)."""
    from autoforge_learn.suggest import suggest_from_root
    from autoforge_learn.workspace import Workspace

    with Workspace(root) as ws:
        return suggest_from_root(ws, findings, now=now)
