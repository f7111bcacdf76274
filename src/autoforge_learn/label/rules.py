"""The four automatic labeling rules, each shown in its docstring as a plain formula.

Each rule is a plain function of one item's fields, so it can be read against its
formula line by line; :mod:`autoforge_learn.label.run` applies them to a whole store.
"""

from __future__ import annotations

from collections.abc import Sequence

from autoforge_learn.schema.decisions import nearby_option

#: Version of the labeling rules, written with every label.
RULES_VERSION = "labels/1"

#: Labels in order from best to worst, per rule.
GATE_LABELS = ("excellent", "good", "acceptable", "poor")
DECISION_LABELS = ("correct", "reasonable", "incorrect")
EFFECTIVENESS_LABELS = ("high", "medium", "low")
OUTPUT_LABELS = ("production_ready", "needs_minor_fixes", "needs_rework")

#: ``confidence = human_confidence_rating or 50 (default)``.
DEFAULT_DECISION_CONFIDENCE = 50.0


def gate_result_label(
    *,
    validation_result: str,
    retry_attempt: int,
    max_retries: int,
    auto_fix_success: bool | None,
    escalated: bool,
    human_resolved: bool,
) -> str:
    """The ``gate_result_label`` rule::

        IF gate_result == "pass" THEN quality = "excellent"
        ELSE IF retry_attempt < max_retries AND auto_fix_success THEN quality = "good"
        ELSE IF escalated_to_human AND human_resolved THEN quality = "acceptable"
        ELSE quality = "poor"

    ``human_resolved`` is true when a human decided the gate (``human_override``) or
    the escalation about it was marked resolved.
    """
    if validation_result == "pass":
        return "excellent"
    if retry_attempt < max_retries and bool(auto_fix_success):
        return "good"
    if escalated and human_resolved:
        return "acceptable"
    return "poor"


def agent_decision_label(
    *,
    agent_recommendation: str,
    human_decision: str,
    options_offered: Sequence[str] = (),
    human_confidence: float | None = None,
) -> tuple[str, float]:
    """The ``agent_decision_label`` rule::

        IF human_decision == agent_recommendation THEN alignment = "correct"
        ELSE IF human_decision_in_nearby_options THEN alignment = "reasonable"
        ELSE alignment = "incorrect"
        confidence = human_confidence_rating or 50 (default)

    "Nearby options" are those of :func:`~autoforge_learn.schema.decisions.nearby_option`.

    Returns:
        ``(alignment, confidence)``.
    """
    confidence = (
        float(human_confidence) if human_confidence is not None else DEFAULT_DECISION_CONFIDENCE
    )
    recommended, chosen = agent_recommendation.strip(), human_decision.strip()
    if chosen == recommended:
        return "correct", confidence
    if nearby_option(list(options_offered), recommended, chosen):
        return "reasonable", confidence
    return "incorrect", confidence


def prompt_effectiveness_label(*, success_rate: float, retry_rate: float) -> str:
    """The ``prompt_effectiveness_label`` rule::

        success_rate_for_version = count(pass) / count(total)
        retry_rate = avg(retry_attempts) for_all_uses_of_version
        IF success_rate > 90% AND retry_rate < 1.0 THEN effectiveness = "high"
        ELSE IF success_rate > 75% THEN effectiveness = "medium"
        ELSE effectiveness = "low"

    Rates are fractions (0.9 is 90%). ``retry_rate`` counts retries, not checks: the
    mean over the version's gate checks of ``retry_attempt - 1`` (a first check is no
    retry), so that "< 1.0" means "fewer than one retry per use" as intended.
    """
    if success_rate > 0.90 and retry_rate < 1.0:
        return "high"
    if success_rate > 0.75:
        return "medium"
    return "low"


def output_quality_label(quality_score: float) -> str:
    """The ``output_quality_label`` rule::

        IF quality_score >= 85 THEN output = "production_ready"
        ELSE IF quality_score >= 70 THEN output = "needs_minor_fixes"
        ELSE output = "needs_rework"

    The score itself is :func:`autoforge_learn.schema.quality.quality_score`.
    """
    if quality_score >= 85:
        return "production_ready"
    if quality_score >= 70:
        return "needs_minor_fixes"
    return "needs_rework"
