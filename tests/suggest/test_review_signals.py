"""Manual reviews' learning signals feed the suggestion engine as evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from autoforge_learn.findings import (
    Example,
    Finding,
    Pattern,
    ReviewEvidence,
    Severity,
    TextCount,
)
from autoforge_learn.suggest import suggest
from tests.suggest import factories as f

NOW = datetime(2025, 10, 3, tzinfo=UTC)


def _review(role: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        pattern=Pattern.MANUAL_REVIEW,
        key={"agent_role": role, "prompt_version": f"{role}.v1.0"},
        title=f"{role} outputs rated 2.1/5 in 7 reviews",
        severity=severity,
        metric="mean_rating",
        value=2.1,
        sample_size=7,
        agent_role=role,
        evidence=ReviewEvidence(
            reviews=7,
            mean_rating=2.1,
            learning_signals=[
                TextCount(text="Agent didn't follow constraint about error handling", count=4)
            ],
            suggested_improvements=[TextCount(text="List every error response", count=2)],
            checklist_failures={},
        ),
        examples=[Example("e1", "P1", "Agent didn't follow constraint about error handling")],
    )


def test_reviews_alone_give_a_constraint_in_the_reviewers_words(af_root):
    registry = f.make_registry(af_root)
    role = f.gate_root_cause().agent_role
    # Review findings without a tested claim are context: they make no suggestion.
    assert suggest([_review(role)], registry, now=NOW) == []
    (made,) = suggest([f.discovery(_review(role))], registry, now=NOW)
    assert made.agent_role == role and made.suggestion_type == "constraint_clarity"
    new_text = made.proposed_change.new_text
    assert "Agent didn't follow constraint about error handling" in new_text
    assert "List every error response" in new_text
    assert {
        "reviewer_learning_signals": [
            "Agent didn't follow constraint about error handling",
            "List every error response",
        ]
    } in made.evidence


def test_reviews_back_other_suggestions_for_the_same_role(af_root):
    registry = f.make_registry(af_root)
    gate = f.gate_root_cause()
    alone = suggest([gate], registry, now=NOW)
    backed = suggest([gate, _review(gate.agent_role, Severity.LOW)], registry, now=NOW)
    assert len(backed) == len(alone)
    first = backed[0]
    assert any("reviewer_learning_signals" in e for e in first.evidence)
    assert first.confidence == alone[0].confidence  # evidence, not a confidence boost
    assert any(i.startswith("manual_review:") for i in first.finding_ids)
