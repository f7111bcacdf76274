"""The suggestion engine: findings in, numbered prompt change suggestions out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from autoforge_learn.findings import Finding
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.suggest.base import RuleContext, SuggestSettings
from autoforge_learn.suggest.ids import next_ids
from autoforge_learn.suggest.merge import merge_by_section
from autoforge_learn.suggest.model import Suggestion, SuggestionError
from autoforge_learn.suggest.rewriters import RewriteContext, Rewriter, get_rewriter
from autoforge_learn.suggest.rules_gates import constraint_clarity, example_addition
from autoforge_learn.suggest.rules_handoff import role_handoff_improvement
from autoforge_learn.suggest.rules_people import context_enrichment, decision_framework
from autoforge_learn.suggest.rules_review import attach_review_evidence, reviewer_constraint
from autoforge_learn.suggest.rules_tokens import constraint_removal
from autoforge_learn.suggest.runs import SuggestRun

Rule = Callable[[Sequence[Finding], RuleContext], list[Suggestion]]

#: The six suggestion rules, in their fixed order (rule 1 first).
RULES: tuple[Rule, ...] = (
    constraint_clarity,
    example_addition,
    context_enrichment,
    decision_framework,
    constraint_removal,
    role_handoff_improvement,
)


def as_findings(findings: Iterable[Finding | Mapping[str, Any]]) -> list[Finding]:
    """Findings from objects or their ``to_dict()`` mappings."""
    return [f if isinstance(f, Finding) else Finding.from_dict(dict(f)) for f in findings]


def suggest(
    findings: Iterable[Finding | Mapping[str, Any]],
    registry: PromptRegistry | None,
    *,
    now: datetime,
    existing_ids: Iterable[str] = (),
    rewriter: Rewriter | str | None = None,
    config: SuggestSettings | None = None,
) -> list[Suggestion]:
    """The suggestions of :func:`suggest_run` (what it sets aside is dropped)."""
    return suggest_run(
        findings, registry, now=now, existing_ids=existing_ids, rewriter=rewriter, config=config
    ).suggestions


def suggest_run(
    findings: Iterable[Finding | Mapping[str, Any]],
    registry: PromptRegistry | None,
    *,
    now: datetime,
    existing_ids: Iterable[str] = (),
    rewriter: Rewriter | str | None = None,
    config: SuggestSettings | None = None,
) -> SuggestRun:
    """Run every rule over the findings and number the suggestions.

    Args:
        findings: Findings of the pattern detectors (objects or ``to_dict()`` mappings).
        registry: The prompt registry the ``old_text`` is read from.
        now: The moment of the run; ids are ``SUG-<year>-<month>-NNN``.
        existing_ids: Ids already used (earlier suggestion files); numbering continues.
        rewriter: An optional rewriter (object or registered name) of ``new_text``.
        config: Rule settings (default :class:`SuggestSettings`).

    Only discoveries (findings whose claim survived the run's false discovery control)
    of severity ``config.min_severity`` or above make suggestions. A gate failure cause
    makes one only when it is attributable to the role's prompt and the role's current
    version does not already fix it; the others are set aside with the reason. Drafts
    that edit one section are merged into one suggestion (:mod:`.merge`).

    Returns:
        The suggestions in the order of :func:`rank` (never one whose ``new_text``
        equals its ``old_text``), and the discoveries set aside.
    """
    config = config or SuggestSettings()
    items = as_findings(findings)
    ctx = RuleContext(registry, config)
    # Sorted by id so that the output does not depend on the order of the input.
    acted = sorted((f for f in items if ctx.acts_on(f)), key=lambda f: f.id)
    # Rule 5 rewrites whole sections: run it first so the other rules leave them alone.
    drafts = constraint_removal(acted, ctx)
    ctx.reserved |= {(d.agent_role, d.proposed_change.section) for d in drafts}
    for rule in RULES:
        if rule is not constraint_removal:
            drafts.extend(rule(acted, ctx))
    # Manual reviews: their signals back the suggestions above, and a role that only
    # reviewers flagged gets a constraint in the reviewers' words.
    attach_review_evidence(drafts, items)
    covered = {d.agent_role for d in drafts}
    drafts.extend(r for r in reviewer_constraint(acted, ctx) if r.agent_role not in covered)
    chosen = rewriter if rewriter is not None else config.rewriter
    if isinstance(chosen, str):
        chosen = get_rewriter(chosen)
    if not isinstance(chosen, Rewriter):
        raise SuggestionError(f"{chosen!r} is not a rewriter: it needs rewrite(suggestion, ctx)")
    merged = merge_by_section(drafts, ctx)
    by_id = {f.id: f for f in items}
    for suggestion in merged:
        _rewrite(suggestion, chosen, ctx, [by_id[i] for i in suggestion.finding_ids if i in by_id])
    unique = [s for s in merged if s.proposed_change.new_text != s.proposed_change.old_text]
    unique.sort(key=rank)
    for suggestion, new_id in zip(unique, next_ids(now, len(unique), existing_ids), strict=True):
        suggestion.suggestion_id = new_id
    set_aside = sorted(ctx.set_aside.values(), key=lambda a: (a.reason, a.finding_id))
    return SuggestRun(suggestions=unique, set_aside=set_aside)


def rank(s: Suggestion) -> tuple:
    """The order of a run's suggestions: by expected benefit, ``confidence x
    (gate_success_improvement + retry_reduction)``, highest first; changes whose only
    expected benefit is fewer tokens (rule 5) after those, by confidence; ties by role,
    type, section and text (deterministic)."""
    impact = s.expected_impact
    benefit = s.confidence * (impact.gate_success_improvement + impact.retry_reduction)
    return (
        benefit <= 0,
        -round(benefit, 6),
        -s.confidence,
        -s.impact,
        s.agent_role,
        s.suggestion_type,
        s.proposed_change.section,
        s.proposed_change.new_text,
    )


def _rewrite(
    suggestion: Suggestion, rewriter: Rewriter, ctx: RuleContext, findings: list[Finding]
) -> None:
    change = suggestion.proposed_change
    context = RewriteContext(
        findings=findings,
        prompt=ctx.latest(suggestion.agent_role),
        options=dict(ctx.config.rewriter_options),
    )
    text = rewriter.rewrite(suggestion, context)
    if not isinstance(text, str) or not text.strip() or text == change.new_text:
        return
    if text.strip() == change.old_text.strip():
        return  # a rewrite that changes nothing is ignored: keep the deterministic text
    change.new_text = text
    name = getattr(rewriter, "name", type(rewriter).__name__)
    change.rationale += f" (Text rewritten by the '{name}' rewriter.)"
