"""Applying a suggestion creates the next prompt version; conflicts and repeats are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autoforge_learn.findings import TextCount
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.suggest import (
    AlreadyApplied,
    SuggestionConflict,
    SuggestionError,
    apply_suggestion,
)
from tests.suggest import factories as f
from tests.suggest.factories import suggest_in

NOW = datetime(2025, 10, 3, tzinfo=UTC)


@pytest.fixture
def made(af_root):
    f.make_registry(af_root)
    suggestions, _ = suggest_in(
        af_root, [f.gate_root_cause(), f.handoff(), f.token_efficiency()], now=NOW
    )
    return {(s.suggestion_type, s.proposed_change.section): s for s in suggestions}


def test_apply_creates_the_version_with_source_and_changelog(af_root, made):
    suggestion = made[("constraint_clarity", "API_contract_generation")]
    registry = PromptRegistry(af_root)
    before = registry.latest("architect")
    created = apply_suggestion(af_root, suggestion.suggestion_id)
    assert created.id == "architect.v2.1" and created.parent == before.id
    # The experiment the suggestion names compares exactly these two versions.
    assert suggestion.experiment.control == before.id
    assert suggestion.experiment.treatment == created.id
    assert f"--control {before.id} --treatment {created.id}" in suggestion.experiment.command
    assert created.source == suggestion.suggestion_id and created.status == "active"
    assert created.sections["API_contract_generation"] == suggestion.proposed_change.new_text
    assert {k: v for k, v in created.sections.items() if k != "API_contract_generation"} == {
        k: v for k, v in before.sections.items() if k != "API_contract_generation"}
    assert registry.latest("architect").id == created.id
    changelog = registry.changelog.read_text()
    assert f"Source: {suggestion.suggestion_id}." in changelog
    assert "constraint_clarity of section API_contract_generation" in changelog


def test_applying_twice_is_refused(af_root, made):
    suggestion = made[("constraint_clarity", "API_contract_generation")]
    apply_suggestion(af_root, suggestion.suggestion_id, draft=True)
    with pytest.raises(AlreadyApplied, match="already applied as architect.v2.1"):
        apply_suggestion(af_root, suggestion.suggestion_id)


def test_changes_to_one_section_are_one_suggestion(af_root, made):
    """The gate cause and the handoff both edit API_contract_generation: one suggestion
    holds both, so applying it leaves nothing behind that would conflict."""
    merged = made[("constraint_clarity", "API_contract_generation")]
    assert ("role_handoff_improvement", "API_contract_generation") not in made
    assert len(merged.finding_ids) == 2
    text = merged.proposed_change.new_text
    assert "Gate api_contract_present requires:" in text and "Handoff to engineer" in text
    sections = [(s.agent_role, s.proposed_change.section) for s in made.values()]
    assert len(sections) == len(set(sections))


def test_conflict_when_the_section_changed(af_root, made):
    clarity = made[("constraint_clarity", "API_contract_generation")]
    # A later run, before anything was applied, proposes a change to the same section.
    later, _ = suggest_in(af_root, [f.mobile_root_cause(), _architect_gap()], now=NOW)
    other = next(s for s in later if s.agent_role == "architect")
    assert other.proposed_change.section == "API_contract_generation"
    apply_suggestion(af_root, clarity.suggestion_id)
    with pytest.raises(SuggestionConflict, match="conflict: .*API_contract_generation") as exc:
        apply_suggestion(af_root, other.suggestion_id)
    assert "autoforge suggest" in str(exc.value) and "+Gate api_contract_present" in str(
        exc.value)
    assert PromptRegistry(af_root).latest("architect").id == "architect.v2.1"


def _architect_gap():
    """Another missing-content cause of the architect's contract."""
    finding = f.gate_root_cause(failures=12)
    finding.key = {"gate_id": "api_contract_present", "cause": "missing auth scheme"}
    finding.evidence.cause = "missing auth scheme"
    finding.evidence.phrasings = [
        TextCount(text="Endpoint /orders lacks an auth requirement", count=7),
        TextCount(text="No securitySchemes defined in the API contract", count=5),
    ]
    return finding


def test_draft_is_not_the_default(af_root, made):
    suggestion = made[("constraint_clarity", "API_contract_generation")]
    created = apply_suggestion(af_root, suggestion.suggestion_id, draft=True)
    registry = PromptRegistry(af_root)
    assert created.status == "draft" and registry.latest("architect").id == "architect.v2.0"
    # The draft does not block another suggestion on a different section.
    removal = made[("constraint_removal", "design_rationale")]
    applied = apply_suggestion(af_root, removal.suggestion_id)
    assert applied.parent == "architect.v2.0" and applied.id == "architect.v2.2"


def test_constraint_removal_drops_the_section(af_root, made):
    removal = made[("constraint_removal", "design_rationale")]
    created = apply_suggestion(af_root, removal.suggestion_id)
    assert "design_rationale" not in created.sections
    assert created.source == removal.suggestion_id


def test_unknown_suggestion(af_root, made):
    with pytest.raises(SuggestionError, match="no suggestion SUG-2025-10-500"):
        apply_suggestion(af_root, "SUG-2025-10-500")


def test_applied_ids_are_not_reused(af_root, made):
    first = min(s.suggestion_id for s in made.values())
    apply_suggestion(af_root, first)
    for path in (af_root / "ai" / "training_data" / "reports").glob("*.yaml"):
        path.unlink()  # even with the files gone, the registry remembers the id
    again, _ = suggest_in(af_root, [f.retry_hotspot()], now=NOW)
    assert again and again[0].suggestion_id > first


def test_the_named_experiment_starts_as_written_once_applied(af_root, made):
    """Each suggestion's `autoforge ab start` command, run as written after the
    suggestion is applied, starts the experiment of exactly those versions and metric
    (the first suggestion of each role: it names the version its apply creates)."""
    import shlex

    from typer.testing import CliRunner

    from autoforge_learn.cli import app
    from autoforge_learn.experiments.store import list_experiments

    runner = CliRunner()
    started = 0
    first = {s.agent_role: s for s in reversed(list(made.values()))}
    for suggestion in first.values():
        try:
            apply_suggestion(af_root, suggestion.suggestion_id)
        except SuggestionConflict:
            continue  # an earlier suggestion of this run rewrote the section
        args = shlex.split(suggestion.experiment.command)
        assert args[:3] == ["autoforge", "ab", "start"]
        result = runner.invoke(app, [*args[1:], "--root", str(af_root)])
        assert result.exit_code == 0, result.output
        experiment = list_experiments(af_root)[-1]
        assert (experiment.control, experiment.treatment, experiment.metric) == (
            suggestion.experiment.control, suggestion.experiment.treatment,
            suggestion.experiment.metric)
        stop = runner.invoke(app, ["ab", "stop", experiment.id, "--reason", "test",
                                   "--root", str(af_root)])
        assert stop.exit_code == 0, stop.output
        started += 1
    assert started >= 1 and started == len(first), (started, list(first))
