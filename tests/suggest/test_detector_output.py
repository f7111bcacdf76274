"""The detector -> suggestion contract, on what the real detectors find in simulated data.

The findings carry the detectors' own shapes: template cause labels such as
``missing test offline mode <*>``, every group reported with severity ``low`` when under
the threshold; they go through JSON and back, as ``autoforge suggest --findings`` reads
them, before the rules see them.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from autoforge_learn.findings import Finding, GateCauseEvidence
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.suggest import (
    apply_suggestion,
    load_findings,
    suggest,
    suggest_from_root,
    suggest_run,
)
from autoforge_learn.workspace import Workspace

NOW = datetime(2025, 11, 5, tzinfo=UTC)


@pytest.fixture
def world(demo: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the demo's store that a test may change."""
    root = tmp_path / ".autoforge"
    shutil.copytree(demo[0], root)
    return root


@pytest.fixture
def findings(demo: tuple[Path, Path]) -> list[Finding]:
    return load_findings(demo[1])


def _suggest_from(world: Path, findings: list[Finding]) -> tuple[list[Any], Path | None]:
    with Workspace(world) as ws:
        return suggest_from_root(ws, findings, now=NOW)


def test_only_discoveries_are_acted_on(world, findings):
    run = suggest_run(findings, PromptRegistry(world), now=NOW)
    made = run.suggestions
    used = {i for s in made for i in s.finding_ids}
    by_id = {f.id: f for f in findings}
    assert used and all(by_id[i].status == "discovery" for i in used)
    assert all(by_id[i].severity in ("high", "medium") for i in used)
    kinds = {s.suggestion_type for s in made}
    # Override hotspots, the bad handoff, the token-inefficient v2.0 versions and the qa
    # retry hotspot on mobile; no gate cause (each is fixed already or not the prompt's,
    # next test) and no decision framework (no role has two overridden decision types).
    assert kinds == {"context_enrichment", "constraint_removal", "role_handoff_improvement",
                     "example_addition"}
    # Every gate cause discovery is accounted for: suggested or set aside with a reason.
    causes = {f.id for f in findings if f.status == "discovery" and isinstance(
        f.evidence, GateCauseEvidence)}
    assert causes and causes <= used | {a.finding_id for a in run.set_aside}


def test_gate_causes_of_the_demo_are_set_aside_with_their_reason(world, findings):
    """The demo's gate cause discoveries: six causes a version of the role's current
    lineage fixed (set aside, already fixed), and mobile-platform problems whose rate is
    the same in every qa version (set aside as not prompt-specific)."""
    run = suggest_run(findings, PromptRegistry(world), now=NOW)
    reasons = {a.finding_id.split("cause=")[1].split(",gate_id")[0]: a for a in run.set_aside}
    fixed = {
        "Test suite only covers the happy path for <endpoint>": ("qa.v1.2", "edge_cases"),
        "Acceptance criteria missing for story <name>": ("product.v1.1", "acceptance_criteria"),
        "<num> screens missing error/empty state variants": ("ui_ux.v1.1", "screen_states"),
        "Missing error code definitions for <num> endpoints": (
            "architect.v2.0", "API_contract_generation"),
        "Dependency conflict: <pkg> vs <pkg>": ("engineer.v2.0", "dependencies"),
        "No input validation on <endpoint> parameter <name>": (
            "security.v1.2", "input_validation"),
    }
    for cause, (current, section) in fixed.items():
        aside = reasons[cause]
        assert aside.reason == "already_fixed" and aside.current_version == current, cause
        assert f"section '{section}' of {current} already states it" in aside.explanation
    edge = reasons["Test suite only covers the happy path for <endpoint>"]
    assert "qa.v1.2 fails 7% of its runs for it" in edge.explanation
    mobile = ("<num> tests fail only on iPhone SE (iOS <num>)",
              "GPS accuracy / location permission scenarios untested (<num> flows)",
              "No tests for offline mode on <name>")
    for cause in mobile:
        aside = reasons[cause]
        assert aside.reason == "not_prompt_specific"
        assert "concentrated on platform mobile" in aside.explanation
        assert "<" not in (aside.example or "")
    causes = {f.id for f in findings if f.status == "discovery" and isinstance(
        f.evidence, GateCauseEvidence)}
    assert len(causes) == len(fixed) + len(mobile)


def test_sections_removed_by_rule_5_are_left_to_it(world, findings):
    made = suggest(findings, PromptRegistry(world), now=NOW)
    removed = {(s.agent_role, s.proposed_change.section) for s in made
               if s.suggestion_type == "constraint_removal"}
    assert ("engineer", "change_explanations") in removed
    assert ("engineer", "output_format") in removed
    others = {(s.agent_role, s.proposed_change.section) for s in made
              if s.suggestion_type != "constraint_removal"}
    assert not removed & others


def test_every_suggestion_of_a_run_applies(world, findings):
    """One suggestion per role and section: all of a run's suggestions apply in turn."""
    made, path = _suggest_from(world, findings)
    assert made and path is not None and yaml.safe_load(path.read_text())
    sections = [(s.agent_role, s.proposed_change.section) for s in made]
    assert len(sections) == len(set(sections))
    for s in made:
        assert "Edits the same section as" not in s.proposed_change.rationale
        created = apply_suggestion(world, s.suggestion_id)
        assert created.source == s.suggestion_id


def test_applied_changes_are_not_suggested_again(world, findings):
    first, _ = _suggest_from(world, findings)
    assert first
    for s in first:
        apply_suggestion(world, s.suggestion_id)
    again, _ = _suggest_from(world, findings)
    # Same findings, updated prompts: every change is in the prompts now.
    assert again == []
