"""Each rule of spec 6.1 fires on its own pattern, and only there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autoforge_learn.findings import Severity, Status
from autoforge_learn.suggest import SuggestionType, SuggestSettings, suggest, suggest_run
from autoforge_learn.suggest.base import RuleContext
from autoforge_learn.suggest.engine import RULES
from autoforge_learn.suggest.requirements import requirements
from autoforge_learn.suggest.text import missing_item
from tests.suggest import factories as f

NOW = datetime(2025, 10, 3, tzinfo=UTC)
T = SuggestionType


@pytest.fixture
def registry(af_root):
    return f.make_registry(af_root)


def _types(findings, registry, **config):
    made = suggest(findings, registry, now=NOW, config=SuggestSettings(**config))
    return sorted((s.suggestion_type, s.agent_role) for s in made), made


def test_constraint_clarity_from_missing_detail_root_cause(registry):
    types, made = _types([f.gate_root_cause()], registry)
    assert types == [(T.CONSTRAINT_CLARITY, "architect")]
    change = made[0].proposed_change
    assert change.section == "API_contract_generation"
    assert change.old_text == registry.latest("architect").sections["API_contract_generation"]
    assert change.new_text.startswith(change.old_text)
    # The most frequent real phrasings are quoted, and what they say is missing becomes a
    # requirement only where a phrase yields one cleanly.
    for phrase in ("Endpoint POST /orders has no error responses defined",
                   "Missing error code definitions for 4 endpoints",
                   "No 4xx/5xx responses in contract for /invoices"):
        assert f'"{phrase}"' in change.new_text
    assert "for 7 endpoints" not in change.new_text  # grouped with "for 4 endpoints"
    assert "- Include error code definitions." in change.new_text
    assert "Instead:" not in change.new_text and "Avoid:" not in change.new_text
    assert "has error responses defined" not in change.new_text  # no mechanical negation
    assert "36" in change.rationale and "api_contract_present" in change.rationale
    # The rationale says what the check of the current prompt's text found.
    assert "No section of architect.v2.0 states it" in change.rationale
    evidence = {k: v for item in made[0].evidence for k, v in item.items()}
    assert evidence["gate_failure_rate"] == pytest.approx(0.336)
    assert evidence["retry_count"] == 6 and evidence["root_cause"] == "missing error definitions"
    assert "0196a0b7e9fdacbd1b54a52fc17e060d" in evidence["example_event_ids"]
    assert made[0].attribution.startswith("it is concentrated in architect.v1.0")


def test_constraint_clarity_needs_enough_failures(registry):
    types, _ = _types([f.gate_root_cause(failures=2)], registry)
    assert types == []
    types, _ = _types([f.gate_root_cause(failures=2)], registry, min_failures=2)
    assert types == [(T.CONSTRAINT_CLARITY, "architect")]


def test_one_cause_makes_one_suggestion(registry):
    """A missing-content cause with many retries is one constraint, not also an example
    quoting the same rejections in a second section."""
    types, made = _types([f.mobile_root_cause()], registry)
    assert types == [(T.CONSTRAINT_CLARITY, "qa")]
    change = made[0].proposed_change
    assert change.section == "test_strategy"
    assert '"No tests for offline mode on Parcel map" (12x)' in change.new_text
    assert "- Include tests for offline mode." in change.new_text
    # One prompt version in the data: put down to the prompt by wording, not tested.
    assert "by wording, not tested" in made[0].attribution
    assert "put down to the prompt by wording" in made[0].confidence_basis


def test_a_recurring_cause_without_missing_content_needs_a_version_difference(registry):
    """Not missing content and the same in every version: set aside, not suggested."""
    run = suggest_run([f.dependency_root_cause()], registry, now=NOW)
    assert run.suggestions == []
    (aside,) = run.unattributed
    assert aside.reason == "not_prompt_specific" and aside.gate_id == "build_passes"
    assert "one version in the data" in aside.explanation
    # Concentrated in one prompt version beyond chance: the prompt's doing -> examples.
    concentrated = f.dependency_root_cause()
    concentrated.evidence.segment = f._segment("prompt_version", "engineer.v1.0", 14, 60)
    types, made = _types([concentrated], registry)
    assert types == [(T.EXAMPLE_ADDITION, "engineer")]
    change = made[0].proposed_change
    assert change.section.startswith("examples_") and change.old_text == ""
    assert '"Dependency conflict: axios@1.2.3 vs axios@1.4.0" (6x)' in change.new_text
    assert "must not produce" not in change.new_text


def test_example_addition_from_a_retry_hotspot(registry):
    types, made = _types([f.retry_hotspot()], registry)
    assert types == [(T.EXAMPLE_ADDITION, "qa")]
    change = made[0].proposed_change
    assert change.section == "examples_mobile"
    assert '"Tests fail on Pixel 6 (Android 13)" (9x)' in change.new_text
    assert "tests_pass" in change.rationale and "2.1" in change.rationale
    assert made[0].experiment.metric == "avg_retries_per_task"


def test_context_enrichment_from_override_reasons(registry):
    types, made = _types([f.feature_priority_override()], registry)
    assert types == [(T.CONTEXT_ENRICHMENT, "engineer")]
    change = made[0].proposed_change
    assert "Client's revenue depends on this feature first." in change.new_text
    assert "Business context" in change.new_text and "feature_priority" in change.rationale
    evidence = {k: v for item in made[0].evidence for k, v in item.items()}
    assert evidence["override_rate"] == pytest.approx(0.6)
    assert evidence["missing_context"] == ["Business context"]


def test_overrides_without_context_reasons_give_no_context_enrichment(registry):
    vague = f.override("tech_stack", "engineer", [("Wrong.", 6), ("Not this one.", 6)])
    types, _ = _types([vague], registry)
    assert types == []


def test_decision_framework_across_decision_types(registry):
    types, made = _types([f.feature_priority_override(), f.tech_stack_override()], registry)
    assert (T.DECISION_FRAMEWORK, "engineer") in types
    framework = next(s for s in made if s.suggestion_type == T.DECISION_FRAMEWORK)
    assert '"Next.js"' in framework.proposed_change.new_text
    assert '"CSV export"' in framework.proposed_change.new_text
    assert len(framework.finding_ids) == 2
    assert "58%" in framework.proposed_change.rationale  # 21 of 36 overrides


def test_decision_framework_from_far_off_overrides(registry):
    far = f.override("architecture_choice", "architect", [("Wrong.", 6)], adjacent=0.1,
                     chosen=[("Modular monolith", 5)])
    types, made = _types([far], registry)
    assert types == [(T.DECISION_FRAMEWORK, "architect")]
    assert made[0].proposed_change.section == "decision_records"
    near = f.override("architecture_choice", "architect", [("Wrong.", 6)], adjacent=0.9)
    assert _types([near], registry)[0] == []


def test_handoff_lists_the_real_missing_items(registry):
    types, made = _types([f.handoff()], registry)
    assert types == [(T.ROLE_HANDOFF_IMPROVEMENT, "architect")]
    change = made[0].proposed_change
    assert change.section == "API_contract_generation"  # where the most frequent feedback points
    for item in ("error codes", "Auth flow", "Parcel-Valuation relation"):
        assert f"- {item}" in change.new_text
    assert "API contract incomplete (missing error codes for /orders)" in change.new_text


def test_constraint_removal_drops_the_added_text(registry):
    types, made = _types([f.token_efficiency()], registry)
    assert types == [(T.CONSTRAINT_REMOVAL, "architect")] * 2
    by_section = {s.proposed_change.section: s.proposed_change for s in made}
    assert by_section["design_rationale"].new_text == ""
    assert by_section["design_rationale"].old_text == f.VERBOSE
    records = by_section["decision_records"]
    assert records.new_text == f.ARCHITECT_V10["decision_records"]
    assert "verbatim" in records.old_text and "verbatim" not in records.new_text
    assert all(s.expected_impact.token_efficiency == "improved" for s in made)


def test_constraint_removal_skipped_when_quality_improved(registry):
    better = f.token_efficiency()
    better.evidence.pass_rate = 0.95
    assert _types([better], registry)[0] == []


def test_other_patterns_give_nothing(registry):
    assert _types([f.calibration()], registry)[0] == []


def test_every_rule_ignores_the_others_patterns(registry):
    ctx = RuleContext(registry, SuggestSettings())
    own = {
        "constraint_clarity": {"gate_failure_root_cause"},
        "example_addition": {"gate_failure_root_cause", "retry_hotspot"},
        "context_enrichment": {"human_override"},
        "decision_framework": {"human_override"},
        "constraint_removal": {"token_efficiency"},
        "role_handoff_improvement": {"handoff"},
    }
    for rule in RULES:
        for finding in f.all_findings():
            made = rule([finding], ctx)
            if made:
                assert str(finding.pattern) in own[rule.__name__], (rule.__name__, finding.id)


def test_thin_evidence_lowers_confidence_and_is_flagged(registry):
    solid = suggest([f.gate_root_cause()], registry, now=NOW)[0]
    thin = suggest([f.gate_root_cause(thin=True)], registry, now=NOW)[0]
    assert thin.confidence < solid.confidence / 1.5
    assert thin.proposed_change.rationale.startswith("THIN EVIDENCE")
    assert not solid.proposed_change.rationale.startswith("THIN")
    assert thin.risk == "medium"
    hot = suggest([f.retry_hotspot(thin=True)], registry, now=NOW)[0]
    assert "THIN EVIDENCE" in hot.proposed_change.rationale and hot.confidence < 0.5


def test_new_text_never_equals_old_text(registry):
    made = suggest(f.all_findings(), registry, now=NOW)
    assert len(made) >= 6
    for s in made:
        assert s.proposed_change.new_text != s.proposed_change.old_text


def test_a_finding_without_its_evidence_makes_no_suggestion(registry):
    for finding in (f.gate_root_cause(), f.handoff(), f.token_efficiency()):
        finding.evidence = None
        assert suggest([finding], registry, now=NOW) == []


def test_evidence_read_back_from_json_must_be_whole(tmp_path):
    """Typed evidence: a findings file with a key missing is refused, naming it, rather
    than read with silent defaults."""
    import orjson

    from autoforge_learn.suggest import SuggestionError, load_findings

    data = f.gate_root_cause().to_dict()
    del data["evidence"]["failures"]
    path = tmp_path / "findings.json"
    path.write_bytes(orjson.dumps([data]))
    with pytest.raises(SuggestionError, match="failures"):
        load_findings(path)


def test_role_without_prompt_gets_a_new_section(af_root):
    made = suggest([f.gate_root_cause()], None, now=NOW)
    change = made[0].proposed_change
    assert change.old_text == "" and change.section == "api_contract_present"
    assert made[0].base_version is None


def test_text_helpers():
    assert requirements([("missing error definitions", 3)]) == ["Include error definitions."]
    assert requirements([("Screen Billing lacks empty and error states", 3)]) == [
        "Include empty and error states."]
    assert requirements([("Compilation failed with 3 errors", 5)]) == []
    assert missing_item("API contract incomplete (missing error codes for /orders)") == (
        "error codes")


def test_findings_under_the_threshold_only_when_asked(registry):
    watch = f.gate_root_cause()
    watch.severity = Severity.LOW
    assert _types([watch], registry)[0] == []
    assert _types([watch], registry, min_severity="low")[0] == [
        (T.CONSTRAINT_CLARITY, "architect")]


@pytest.mark.parametrize("status", ["not_significant", "inconclusive", "context"])
def test_only_discoveries_make_suggestions(registry, status):
    findings = f.all_findings()
    assert _types(findings, registry, min_severity="info")[0]
    for finding in findings:
        finding.status = Status(status)
    assert _types(findings, registry, min_severity="info")[0] == []


def test_token_finding_with_significantly_better_quality_is_kept(registry):
    finding = f.token_efficiency()
    finding.evidence.p_better_quality = 0.01  # the detector says: really better
    assert _types([finding], registry)[0] == []
    finding.evidence.p_better_quality = 0.4
    assert len(_types([finding], registry)[0]) == 2


def test_phrasings_differing_in_numbers_are_one(registry):
    made = suggest([f.gate_root_cause()], registry, now=NOW)
    text = made[0].proposed_change.new_text
    # "... for 4 endpoints" (11x) and "... for 7 endpoints" (2x) are one phrasing (13x).
    assert '"Missing error code definitions for 4 endpoints" (13x)' in text
    assert "7 endpoints" not in text


def test_deterministic(registry):
    one = [s.to_dict() for s in suggest(f.all_findings(), registry, now=NOW)]
    two = [s.to_dict() for s in suggest(list(reversed(f.all_findings())), registry, now=NOW)]
    assert one == two
