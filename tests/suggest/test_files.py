"""Suggestion files: the spec's exact structure, file naming, id numbering, reading back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from autoforge_learn.suggest import (
    Suggestion,
    SuggestionError,
    find_suggestion,
    load_suggestions,
    suggest,
    write_suggestions,
)
from autoforge_learn.suggest.ids import next_ids
from tests.suggest import factories as f
from tests.suggest.factories import suggest_in

NOW = datetime(2025, 10, 3, 9, 30, tzinfo=UTC)
SPEC_KEYS = [
    "suggestion_id", "agent_role", "suggestion_type", "confidence", "evidence",
    "proposed_change", "expected_impact", "implementation_effort", "risk",
]
CHANGE_KEYS = ["prompt_file", "section", "old_text", "new_text", "rationale"]
IMPACT_KEYS = ["gate_success_improvement", "retry_reduction", "token_efficiency"]
#: Additions after the spec's keys.
EXTRA_KEYS = ["base_version", "finding_ids", "confidence_basis", "attribution", "experiment"]
IMPACT_EXTRA = ["gate_success_improvement_interval", "retry_reduction_interval", "basis"]
EXPERIMENT_KEYS = {"command", "metric", "control", "treatment", "planned_projects_per_arm",
                   "expected_effect", "assumed_sd", "alpha", "power", "gate_id", "basis"}


@pytest.fixture
def registry(af_root):
    return f.make_registry(af_root)


def test_yaml_has_exactly_the_spec_structure(registry, tmp_path):
    path = write_suggestions(tmp_path / "s.yaml", suggest(f.all_findings(), registry, now=NOW))
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, list) and len(data) >= 6
    for item in data:
        assert list(item)[: len(SPEC_KEYS)] == SPEC_KEYS
        assert list(item)[len(SPEC_KEYS):] == EXTRA_KEYS
        assert isinstance(item["suggestion_id"], str) and item["suggestion_id"].startswith(
            "SUG-2025-10-")
        assert isinstance(item["agent_role"], str)
        assert item["suggestion_type"] in {
            "constraint_clarity", "example_addition", "context_enrichment",
            "decision_framework", "constraint_removal", "role_handoff_improvement"}
        assert isinstance(item["confidence"], float) and 0 < item["confidence"] <= 1
        assert isinstance(item["evidence"], list) and item["evidence"]
        assert all(isinstance(e, dict) and len(e) == 1 for e in item["evidence"])
        assert any("finding_id" in e for e in item["evidence"])
        change = item["proposed_change"]
        assert list(change) == CHANGE_KEYS
        assert all(isinstance(change[k], str) for k in CHANGE_KEYS)
        assert change["prompt_file"] == f"ai/prompts/{item['agent_role']}.yaml"
        impact = item["expected_impact"]
        assert list(impact) == IMPACT_KEYS + IMPACT_EXTRA
        assert isinstance(impact["gate_success_improvement"], float)
        assert isinstance(impact["retry_reduction"], float)
        assert impact["token_efficiency"] in {"improved", "neutral", "slightly_worse"}
        for key in ("gate_success_improvement", "retry_reduction"):
            low, high = impact[f"{key}_interval"]
            assert 0 <= low <= round(impact[key], 2) + 0.01 and impact[key] - 0.01 <= high <= 1
        assert "prior" in impact["basis"] or "not estimated" in impact["basis"]
        assert item["confidence_basis"].startswith("a score, not a calibrated probability")
        assert isinstance(item["attribution"], str) and item["attribution"]
        experiment = item["experiment"]
        assert set(experiment) <= EXPERIMENT_KEYS
        assert EXPERIMENT_KEYS - set(experiment) <= {"gate_id"}
        assert experiment["command"].startswith(
            f"autoforge ab start --role {item['agent_role']} --control {item['base_version']}")
        assert isinstance(experiment["planned_projects_per_arm"], int)
        assert experiment["planned_projects_per_arm"] >= 2
        assert experiment["expected_effect"] > 0 and experiment["assumed_sd"] > 0
        assert item["implementation_effort"] in {"low", "medium", "high"}
        assert item["risk"] in {"low", "medium", "high"}
    ids = [item["suggestion_id"] for item in data]
    assert ids == [f"SUG-2025-10-{n:03d}" for n in range(1, len(ids) + 1)]


def test_old_text_is_the_registry_section_and_round_trips(registry, tmp_path):
    made = suggest(f.all_findings(), registry, now=NOW)
    path = write_suggestions(tmp_path / "s.yaml", made)
    back = yaml.safe_load(path.read_text())
    for item, original in zip(back, made, strict=True):
        change = item["proposed_change"]
        latest = registry.latest(item["agent_role"])
        assert change["old_text"] == latest.sections.get(change["section"], "")
        assert item["base_version"] == latest.id
        assert change["new_text"] == original.proposed_change.new_text  # multi-line exact
        assert Suggestion.from_dict(item).to_dict() == item


def test_files_per_day_never_overwrite_and_ids_continue(registry, af_root):
    first, path1 = suggest_in(af_root, [f.gate_root_cause(), f.mobile_root_cause()], now=NOW)
    second, path2 = suggest_in(af_root, [f.retry_hotspot()], now=NOW)
    reports = af_root / "ai" / "training_data" / "reports"
    assert path1 == reports / "suggestions_2025-10-03.yaml"
    assert path2 == reports / "suggestions_2025-10-03_2.yaml"
    assert [s.suggestion_id for s in first] == ["SUG-2025-10-001", "SUG-2025-10-002"]
    assert [s.suggestion_id for s in second] == ["SUG-2025-10-003"]
    # Proposed again: the same change keeps its id and no file is written.
    again, path_again = suggest_in(af_root, [f.gate_root_cause()], now=NOW)
    assert path_again is None
    assert [s.suggestion_id for s in again] == [first[0].suggestion_id]
    later = datetime(2025, 10, 20, tzinfo=UTC)
    third, path3 = suggest_in(af_root, [f.token_efficiency()], now=later)
    assert path3.name == "suggestions_2025-10-20.yaml"
    assert third[0].suggestion_id == "SUG-2025-10-004"
    november, _ = suggest_in(
        af_root, [f.tech_stack_override()], now=datetime(2025, 11, 2, tzinfo=UTC)
    )
    assert november[0].suggestion_id == "SUG-2025-11-001"
    written = len(first) + len(second) + len(third) + len(november)
    assert len(load_suggestions(af_root)) == written
    assert find_suggestion(af_root, "SUG-2025-10-003").agent_role == second[0].agent_role
    with pytest.raises(SuggestionError, match="no suggestion"):
        find_suggestion(af_root, "SUG-2025-10-099")
    with pytest.raises(SuggestionError, match="not a suggestion id"):
        find_suggestion(af_root, "nonsense")


def test_no_suggestions_writes_no_file(registry, af_root):
    made, path = suggest_in(af_root, [f.calibration()], now=NOW)
    assert made == [] and path is None


def test_next_ids_counts_only_the_same_month():
    used = ["SUG-2025-10-007", "SUG-2025-09-041", "bogus", "SUG-2025-10-002"]
    assert next_ids(NOW, 2, used) == ["SUG-2025-10-008", "SUG-2025-10-009"]
    assert next_ids(datetime(2026, 1, 1), 1, used) == ["SUG-2026-01-001"]


def test_config_file_settings_are_used(registry, af_root):
    (af_root / "config.yaml").write_text("suggest:\n  min_failures: 100\n")
    made, _ = suggest_in(af_root, [f.gate_root_cause()], now=NOW)
    assert made == []


def test_a_broken_suggestion_file_is_reported(af_root):
    reports = af_root / "ai" / "training_data" / "reports"
    reports.mkdir(parents=True)
    (reports / "suggestions_2025-10-01.yaml").write_text("- suggestion_id: SUG-2025-10-001\n")
    with pytest.raises(SuggestionError, match="suggestions_2025-10-01.yaml"):
        load_suggestions(af_root)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        # a few hundred bytes that a plain safe_load expands into gigabytes
        ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)), "aliases"),
        (b"- \xff\xfe\n", "cannot be read"),
    ],
)
def test_a_suggestion_file_is_read_within_bounds(af_root, content, reason):
    reports = af_root / "ai" / "training_data" / "reports"
    reports.mkdir(parents=True)
    path = reports / "suggestions_2025-10-01.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(SuggestionError, match=reason) as info:
        load_suggestions(af_root)
    assert "suggestions_2025-10-01.yaml" in str(info.value)
