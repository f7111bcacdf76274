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

import orjson
import pytest
import yaml

from autoforge_learn.demo import DEMO_SEED
from autoforge_learn.findings import Finding, GateCauseEvidence
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.sim import simulate
from autoforge_learn.suggest import (
    SuggestionConflict,
    apply_suggestion,
    load_findings,
    suggest,
    suggest_from_root,
)
from autoforge_learn.workspace import Workspace

NOW = datetime(2025, 11, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 200-project world (the demo's seed; enough projects for discoveries of every
    kind the rules act on) and its findings saved as JSON."""
    base = tmp_path_factory.mktemp("demo")
    root = base / ".autoforge"
    simulate(root, projects=200, seed=DEMO_SEED)
    with Workspace(root) as ws:
        found = detect_patterns(ws)
    saved = base / "findings.json"
    saved.write_bytes(orjson.dumps([f.to_dict() for f in found]))
    return root, saved


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


def test_only_findings_over_threshold_are_acted_on(world, findings):
    made = suggest(findings, PromptRegistry(world), now=NOW)
    used = {i for s in made for i in s.finding_ids}
    by_id = {f.id: f for f in findings}
    assert used and all(by_id[i].severity in ("high", "medium") for i in used)
    kinds = {s.suggestion_type for s in made}
    assert kinds == {"constraint_clarity", "example_addition", "context_enrichment",
                     "constraint_removal", "role_handoff_improvement"}


def test_template_causes_give_readable_text(world, findings):
    made = suggest(findings, PromptRegistry(world), now=NOW)
    for s in made:
        change = s.proposed_change
        assert "<*>" not in change.new_text and "<num>" not in change.new_text
        assert "<*>" not in change.rationale
        assert change.new_text != change.old_text
    # a constraint quotes the gate's real rejections, with how often each was given
    by_id = {f.id: f for f in findings}
    clarity = [s for s in made if s.suggestion_type == "constraint_clarity"]
    assert clarity
    for s in clarity:
        evidence = by_id[s.finding_ids[0]].evidence
        assert isinstance(evidence, GateCauseEvidence)
        assert any(
            f'"{p.text}" ({p.count}x)' in s.proposed_change.new_text for p in evidence.phrasings
        ), s.proposed_change.new_text


def test_sections_removed_by_rule_5_are_left_to_it(world, findings):
    made = suggest(findings, PromptRegistry(world), now=NOW)
    removed = {(s.agent_role, s.proposed_change.section) for s in made
               if s.suggestion_type == "constraint_removal"}
    assert ("engineer", "change_explanations") in removed
    assert ("engineer", "output_format") in removed
    others = {(s.agent_role, s.proposed_change.section) for s in made
              if s.suggestion_type != "constraint_removal"}
    assert not removed & others


def test_every_suggestion_of_a_run_on_distinct_sections_applies(world, findings):
    made, path = _suggest_from(world, findings)
    assert path is not None and yaml.safe_load(path.read_text())
    seen: set[tuple[str, str]] = set()
    for s in made:
        key = (s.agent_role, s.proposed_change.section)
        if key in seen:
            assert "Edits the same section as" in s.proposed_change.rationale
            with pytest.raises(SuggestionConflict):
                apply_suggestion(world, s.suggestion_id)
            continue
        seen.add(key)
        created = apply_suggestion(world, s.suggestion_id)
        assert created.source == s.suggestion_id


def test_applied_changes_are_not_suggested_again(world, findings):
    first, _ = _suggest_from(world, findings)
    done = set()
    for s in first:
        key = (s.agent_role, s.proposed_change.section)
        if key not in done:
            apply_suggestion(world, s.suggestion_id)
            done.add(key)
    again, _ = _suggest_from(world, findings)
    # Same findings, updated prompts: only the edits that conflicted before come back.
    assert len(again) == len(first) - len(done)
    assert not {s.proposed_change.new_text for s in again} & {
        s.proposed_change.new_text for s in first if (s.agent_role, s.proposed_change.section)
        in done}
