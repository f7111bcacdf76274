"""End to end on a small simulation: real prompt files, real failing gate events."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
import yaml

from autoforge_learn.findings import (
    Example,
    Finding,
    GateCauseEvidence,
    Pattern,
    Segment,
    Severity,
    TextCount,
    TokenEvidence,
)
from autoforge_learn.sim import simulate
from autoforge_learn.sim.catalog import GATES
from autoforge_learn.suggest import apply_suggestion, suggest_run_from_root
from autoforge_learn.workspace import Workspace
from tests.suggest.factories import discovery, suggest_in

NOW = datetime(2025, 11, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim") / ".autoforge"
    simulate(root, projects=30, seed=1)
    return root


def _cause_of(gate_id: str, reason: str) -> str | None:
    for cause in GATES[gate_id].causes:
        for template in cause.phrasings:
            pattern = re.escape(template)
            pattern = re.sub(r"\\\{[a-z0-9_]+\\\}", ".+", pattern)
            if re.fullmatch(pattern, reason):
                return cause.id
    return None


def _root_cause_finding(root, gate_id: str, cause: str | None = None) -> Finding:
    """A finding built like the detector would, from the real failing events of one gate
    (its most frequent cause, or ``cause``), judged a discovery."""
    events = [
        orjson.loads(line)
        for path in sorted((root / "ai" / "training_data" / "raw").rglob("*_gates.jsonl"))
        for line in path.read_bytes().splitlines()
    ]
    checks = [e for e in events if e["gate_id"] == gate_id]
    failed = [e for e in checks if e["validation_result"] == "fail"]
    by_cause = Counter(_cause_of(gate_id, e["validation_reason"]) for e in failed)
    cause = cause or by_cause.most_common(1)[0][0]
    count = by_cause[cause]
    assert cause is not None and count
    mine = [e for e in failed if _cause_of(gate_id, e["validation_reason"]) == cause]
    phrasings = Counter(e["validation_reason"] for e in mine)
    return discovery(Finding(
        pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
        key={"gate_id": gate_id, "cause": cause.replace("_", " ")},
        title=f"{gate_id} fails for {cause}", severity=Severity.HIGH, metric="failure_rate",
        value=count / len(checks), sample_size=len(checks), agent_role=mine[0]["agent_role"],
        prompt_version=mine[0]["prompt_version"], threshold=0.08,
        evidence=GateCauseEvidence(
            gate_id=gate_id, stage=mine[0]["stage"], cause=cause.replace("_", " "),
            failures=count, gate_failures=len(failed), gate_checks=len(checks),
            gate_failure_rate=len(failed) / len(checks),
            share_of_failures=count / len(failed), retries=count,
            phrasings=[TextCount(text=t, count=c) for t, c in phrasings.most_common()],
            versions={}, segment=Segment(by="all", value="all", failures=count,
                                         checks=len(checks), rate=count / len(checks),
                                         p_concentrated=None, rate_ratio=None),
        ),
        examples=[Example(e["event_id"], e["project_id"], e["validation_reason"])
                  for e in mine[:3]],
    ))


def test_root_cause_on_real_prompt_files(world):
    finding = _root_cause_finding(world, "test_coverage", "mobile_scenarios_missing")
    made, path = suggest_in(world, [finding], now=NOW)
    assert path is not None and path.exists()
    clarity = [s for s in made if s.suggestion_type == "constraint_clarity"]
    assert len(clarity) == 1
    change = clarity[0].proposed_change
    # old_text is the section as it stands in the role's file, for its newest active version.
    data = yaml.safe_load((world / "ai" / "prompts" / "qa.yaml").read_text())
    newest = list(data["versions"])[-1]
    assert clarity[0].base_version == newest
    assert change.old_text == data["versions"][newest]["sections"][change.section]
    top = [p.text for p in finding.evidence.phrasings[:2]]
    assert all(f'"{text}"' in change.new_text for text in top)
    evidence = {k: v for item in clarity[0].evidence for k, v in item.items()}
    assert set(evidence["example_event_ids"]) == {e.event_id for e in finding.examples}


def test_a_cause_the_current_prompt_already_states_is_not_suggested(world):
    """missing_error_definitions: architect.v1.1 added the error taxonomy, so the current
    version's text states it; even with no per-version data the cause is set aside."""
    finding = _root_cause_finding(world, "api_contract_present", "missing_error_definitions")
    with Workspace(world) as ws:
        run = suggest_run_from_root(ws, [finding], now=NOW, save=False)
    assert run.suggestions == []
    (fixed,) = run.already_fixed
    assert fixed.finding_id == finding.id and "already states it" in fixed.explanation


def test_token_waste_of_a_real_version_is_removed_and_applied(world):
    finding = discovery(Finding(
        pattern=Pattern.TOKEN_EFFICIENCY, key={"prompt_version": "architect.v2.0"},
        title="architect.v2.0 uses 38% more tokens", severity=Severity.MEDIUM,
        metric="avg_tokens_per_success", value=11800.0, sample_size=40,
        agent_role="architect", prompt_version="architect.v2.0",
        evidence=TokenEvidence(
            avg_tokens_per_success=11800.0, best_version="architect.v1.1",
            best_avg_tokens=8600.0, excess_ratio=0.37, pass_rate=0.84, pass_rate_interval=[],
            best_pass_rate=0.85, p_better_quality=None, executions=40, successes=36,
        ),
    ))
    made, _ = suggest_in(world, [finding], now=NOW)
    sections = sorted(s.proposed_change.section for s in made)
    assert sections == ["context_restatement", "design_rationale"]
    removal = next(s for s in made if s.proposed_change.section == "design_rationale")
    created = apply_suggestion(world, removal.suggestion_id)
    assert "design_rationale" not in created.sections and created.source == removal.suggestion_id
    assert "context_restatement" in created.sections
    changelog = (world / "ai" / "prompts" / "CHANGELOG.md").read_text()
    assert f"Source: {removal.suggestion_id}." in changelog
