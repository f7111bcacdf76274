"""On findings the real detectors produced from ``autoforge demo`` data (saved as JSON).

The saved findings carry the detectors' own shapes: template cause labels such as
``missing test offline mode <*>``, every group reported with severity ``low`` when under
the threshold, extra evidence keys. The prompt files come from a small simulation (the
versions are the same in every simulated world).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from autoforge_learn.registry import PromptRegistry
from autoforge_learn.sim import simulate
from autoforge_learn.suggest import (
    SuggestionConflict,
    apply_suggestion,
    load_findings,
    suggest,
    suggest_from_root,
)

DATA = Path(__file__).parent / "data" / "demo_findings.json"
NOW = datetime(2025, 11, 5, tzinfo=UTC)


@pytest.fixture
def world(tmp_path):
    root = tmp_path / ".autoforge"
    simulate(root, projects=30, seed=1)
    return root


@pytest.fixture
def findings():
    return load_findings(DATA)


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
    offline = next(s for s in made if "offline mode" in s.proposed_change.rationale)
    assert '"No tests for offline mode on Recovery" (3x)' in offline.proposed_change.new_text


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
    made, path = suggest_from_root(world, findings, now=NOW)
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
    first, _ = suggest_from_root(world, findings, now=NOW)
    done = set()
    for s in first:
        key = (s.agent_role, s.proposed_change.section)
        if key not in done:
            apply_suggestion(world, s.suggestion_id)
            done.add(key)
    again, _ = suggest_from_root(world, findings, now=NOW)
    # Same findings, updated prompts: only the edits that conflicted before come back.
    assert len(again) == len(first) - len(done)
    assert not {s.proposed_change.new_text for s in again} & {
        s.proposed_change.new_text for s in first if (s.agent_role, s.proposed_change.section)
        in done}
