"""Rules 3 and 4 of 6: context enrichment and decision framework.

They read what people said when they overrode a recommendation: their reasons and the
options they chose instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from autoforge_learn.findings import Finding, OverrideEvidence, Severity, TextCount
from autoforge_learn.suggest.base import RuleContext, evidence_list, make, rate_change
from autoforge_learn.suggest.estimates import Measured, finding_measured, share_measured
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.prose import quotes
from autoforge_learn.suggest.text import label, pct, slug, words
from autoforge_learn.words import plural

#: Kinds of context a human's override reason can point at, with the word stems that say so.
CONTEXT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "business": (
        "Business context: customer impact, revenue impact and commitments made to the client",
        (
            "client",
            "custom",
            "reven",
            "sales",
            "busin",
            "market",
            "commi",
            "deadl",
            "pain",
            "deal",
            "contr",
        ),
    ),
    "team": (
        "Team and operations context: the team's skills, capacity and current hosting",
        ("team", "know", "skill", "capac", "opera", "hosti", "maint", "exper", "staff"),
    ),
    "compliance": (
        "Compliance and mandates: regulations, policies and technology the client requires",
        ("compl", "regul", "legal", "manda", "polic", "audit", "gdpr", "hipaa", "pci", "requi"),
    ),
    "cost": (
        "Cost constraints: licensing, hosting and running costs",
        ("cost", "budge", "licen", "price", "prici", "expen", "cheap"),
    ),
    "risk": (
        "Risk appetite and release context: what risk is acceptable for this release",
        ("risk", "alpha", "inter", "beta", "relea", "accep", "sched"),
    ),
}


def _stems(text: str) -> set[str]:
    return {w[:5] for w in words(text)}


def context_kinds(text: str) -> list[str]:
    """The kinds of context (keys of :data:`CONTEXT_KINDS`) a reason points at."""
    stems = _stems(text)
    return [kind for kind, (_, keys) in CONTEXT_KINDS.items() if stems & set(keys)]


def _override_findings(findings: Sequence[Finding], ctx: RuleContext) -> list[Finding]:
    out = []
    for f in findings:
        if not isinstance(f.evidence, OverrideEvidence) or f.severity == Severity.INFO:
            continue
        if f.evidence.overrides < ctx.config.min_overrides:
            continue
        if f.agent_role or f.key.get("agent_role"):
            out.append(f)
    return out


def _ev(finding: Finding) -> OverrideEvidence:
    """The override evidence of a finding :func:`_override_findings` kept."""
    assert isinstance(finding.evidence, OverrideEvidence)
    return finding.evidence


def _role(finding: Finding) -> str:
    return str(finding.agent_role or finding.key.get("agent_role"))


def _decision_type(finding: Finding) -> str:
    return str(finding.key.get("decision_type") or "")


@dataclass(frozen=True)
class ContextReasons:
    """Override reasons grouped by the kind of context they name (rule 3).

    Attributes:
        by_kind: Per context kind, the reasons naming it with their counts.
        matched: Overrides whose reason names some context.
        total: All overrides with a reason.
    """

    by_kind: dict[str, list[tuple[str, int]]]
    matched: int
    total: int

    @property
    def kinds(self) -> list[str]:
        """The kinds named, most often first (ties by name)."""
        return sorted(self.by_kind, key=lambda k: (-sum(c for _, c in self.by_kind[k]), k))


def _context_reasons(reasons: Sequence[TextCount]) -> ContextReasons:
    """Group reasons by :func:`context_kinds` (a reason without a count counts once)."""
    total = sum(r.count or 1 for r in reasons)
    by_kind: dict[str, list[tuple[str, int]]] = defaultdict(list)
    matched = 0
    for reason in reasons:
        text, count = reason.text, reason.count or 1
        kinds = context_kinds(text)
        matched += count if kinds else 0
        for kind in kinds:
            by_kind[kind].append((text, count))
    return ContextReasons(by_kind=by_kind, matched=matched, total=total)


def _context_block(
    decision: str, ev: OverrideEvidence, rate: float | None, grouped: ContextReasons,
    chars: int = 160,
) -> list[str]:
    """Rule 3's text: each missing kind of context with the humans' words, then what to do."""
    overrides, decisions = ev.overrides, ev.decisions
    lines = [
        f"Context for {label(decision)} decisions (humans overrode {overrides:.0f}"
        + (f" of {decisions:.0f}" if decisions else "")
        + f" recommendations, {pct(rate)}):"
    ]
    lines.append(
        "Before recommending, make sure your input gives the context below; if it does "
        "not, ask for it, and say which of it your recommendation relies on."
    )
    for kind in grouped.kinds:
        said = "; ".join(
            f'"{q}" ({c}x)' for q, c in quotes(grouped.by_kind[kind], limit=3, chars=chars)
        )
        lines.append(f"- {CONTEXT_KINDS[kind][0]}." + (f" Humans said: {said}" if said else ""))
    return lines


def context_enrichment(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 3: humans override because the agent lacks context -> provide that context.

    Fires on ``human_override`` findings whose override reasons point at missing context
    (business, team, compliance, cost, risk) in at least ``context_share`` of overrides.
    """
    out: list[Suggestion] = []
    for finding in _override_findings(findings, ctx):
        ev = _ev(finding)
        reasons = ev.reasons
        grouped = _context_reasons(reasons)
        matched, total = grouped.matched, grouped.total
        if not total or matched / total < ctx.config.context_share:
            continue
        role, decision = _role(finding), _decision_type(finding)
        kinds = grouped.kinds
        # The decision and the humans' own words (not the generic word "context", which
        # would pick sections that merely restate context).
        query = words(decision) * 2 + [w for r in reasons for w in words(r.text)]
        target = ctx.target(role, query, new_section=f"{slug(decision)}_context")
        rate = ev.override_rate if ev.override_rate is not None else finding.value
        missing = [CONTEXT_KINDS[k][0].split(":")[0] for k in kinds]
        rationale = (
            f"{role} lacks {', '.join(m.lower() for m in missing)} needed for decision type "
            f"'{decision}': humans overrode {pct(rate)} of its recommendations, and "
            f"{pct(matched / total)} of their reasons name that context."
        )
        kind = SuggestionType.CONTEXT_ENRICHMENT
        impact, plan = rate_change(
            ctx, kind,
            finding_measured(finding, "the override rate",
                             counts=(int(ev.overrides), int(ev.decisions))),
            metric="human_override_rate",
            factor=matched / total, factor_text="the share of reasons naming that context",
        )
        suggestion = make(
            kind,
            target,
            blocks=[_context_block(decision, ev, rate, grouped, ctx.config.max_quote_chars)],
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(
                ("override_rate", rate),
                ("overrides", int(ev.overrides or 0)),
                ("decision_type", decision),
                ("missing_context", missing),
                ("root_cause", f"missing {missing[0].lower()}" if missing else None),
                ("q_value", finding.hypothesis.q_value if finding.hypothesis else None),
                findings=[finding],
            ),
            impact=impact,
            plan=plan,
            attribution=(
                f"humans override {role}'s own recommendations (the finding's test over "
                "projects), giving reasons that name context the prompt does not provide"
            ),
            effort="medium",
            risk="medium" if finding.thin_evidence else "low",
            markers=[
                f'"{q}"' for k in kinds for q, _ in quotes(
                    grouped.by_kind[k], limit=3, chars=ctx.config.max_quote_chars)
            ],
        )
        if suggestion:
            out.append(suggestion)
    return out


@dataclass(frozen=True)
class RoleOverrides:
    """One role's override findings summed up for rule 4.

    Attributes:
        types: The decision types humans overrode, sorted.
        overrides: Overrides over all types.
        decisions: Decisions over all types (0 when not known).
        rate: The override rate (the highest finding value when decisions are not known).
        chosen: Per decision type, the options humans chose instead, most frequent first.
        criteria: What humans weighed: the kinds of context their reasons name, else
            their most frequent reasons.
        adjacent: The findings' shares of near-miss overrides (where known).
    """

    types: list[str]
    overrides: int
    decisions: int
    rate: float
    chosen: dict[str, list[tuple[str, int]]]
    criteria: list[str]
    adjacent: list[float]

    @property
    def type_text(self) -> str:
        """The decision types as readable labels."""
        return ", ".join(label(t) for t in self.types)


def _role_overrides(group: Sequence[Finding], max_quotes: int) -> RoleOverrides:
    """Sum up a role's override findings (:func:`_override_findings` kept them)."""
    overrides = sum(_ev(f).overrides for f in group)
    decisions = sum(_ev(f).decisions for f in group)
    reasons = [r for f in group for r in _ev(f).reasons]
    kinds = sorted({k for r in reasons for k in context_kinds(r.text)})
    criteria = [CONTEXT_KINDS[k][0].split(":")[1].strip() for k in kinds]
    if not criteria:
        criteria = [f'"{t}"' for t, _ in quotes(reasons, limit=max_quotes)]
    return RoleOverrides(
        types=sorted({_decision_type(f) for f in group}),
        overrides=overrides,
        decisions=decisions,
        rate=overrides / decisions if decisions else max(f.value for f in group),
        chosen={
            _decision_type(f): quotes(_ev(f).chosen_instead, limit=max_quotes, chars=80)
            for f in group
        },
        criteria=criteria,
        adjacent=[s for f in group if (s := _ev(f).adjacent_share) is not None],
    )


def _framework_block(summary: RoleOverrides) -> list[str]:
    """Rule 4's text: list options (with what humans chose), score them, recommend."""
    chosen = summary.chosen
    lines = [
        f"Decision framework for {summary.type_text} (humans overrode {summary.overrides:.0f}"
        + (f" of {summary.decisions:.0f}" if summary.decisions else "")
        + f" recommendations, {pct(summary.rate)}):",
        "1. List 2-4 concrete options"
        + (" (humans chose instead: " if any(chosen.values()) else "")
        + "; ".join(
            f"{label(t)}: " + ", ".join(f'"{o}"' for o, _ in options)
            for t, options in sorted(chosen.items())
            if options
        )
        + (")" if any(chosen.values()) else "")
        + ".",
    ]
    if summary.criteria:
        lines.append(
            "2. Score each option against the criteria humans used when they "
            "overrode you: " + "; ".join(summary.criteria) + "."
        )
    else:
        lines.append("2. Score each option against the project's stated constraints.")
    lines.append(
        "3. Recommend the best-scoring option, explain why, and name the runner-up "
        "and what would make it the better choice."
    )
    return lines


def _framework_rationale(
    role: str, summary: RoleOverrides, min_decision_types: int, efficacy: float
) -> str:
    """Why rule 4 fires: many overridden types, or overrides that are rarely near misses."""
    rate = summary.rate
    why = (
        f"{len(summary.types)} decision types overridden"
        if len(summary.types) >= min_decision_types
        else f"only {pct(min(summary.adjacent))} of overrides were near misses"
    )
    return (
        f"{role} makes ad hoc decisions ({why}; humans overrode {pct(rate)} of its "
        f"recommendations). If structured reasoning removes {pct(efficacy)} of the "
        f"overrides (an assumed efficacy, not estimated), the rate falls to about "
        f"{pct(rate * (1 - efficacy))}."
    )


def decision_framework(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 4: decision quality is low and unstructured -> add a decision framework.

    Fires per role when humans override its recommendations in at least
    ``min_decision_types`` decision types, or when overrides are rarely near misses
    (``adjacent_share`` below ``max_adjacent_share``: humans pick options far from the one
    recommended).
    """
    config = ctx.config
    by_role: dict[str, list[Finding]] = defaultdict(list)
    for finding in _override_findings(findings, ctx):
        by_role[_role(finding)].append(finding)
    out: list[Suggestion] = []
    for role, group in sorted(by_role.items()):
        summary = _role_overrides(group, config.max_quotes)
        far = [share for share in summary.adjacent if share < config.max_adjacent_share]
        if len(summary.types) < config.min_decision_types and not far:
            continue
        query = ["decision", "options", "choices", *(w for t in summary.types for w in words(t))]
        target = ctx.target(role, query, new_section="decision_framework")
        kind = SuggestionType.DECISION_FRAMEWORK
        efficacy = ctx.efficacy(kind)
        rate, adjacent = summary.rate, summary.adjacent
        measured: Measured | None = (
            share_measured(summary.overrides, summary.decisions,
                           "the override rate over its decision types",
                           max(f.projects for f in group))
            if summary.decisions else None
        )
        if measured is None:
            measured = finding_measured(max(group, key=lambda f: f.value), "the override rate")
        impact, plan = rate_change(ctx, kind, measured, metric="human_override_rate")
        suggestion = make(
            kind,
            target,
            blocks=[_framework_block(summary)],
            rationale=_framework_rationale(role, summary, config.min_decision_types, efficacy),
            findings=group,
            ctx=ctx,
            evidence=evidence_list(
                ("override_rate", round(rate, 4)),
                ("overrides", int(summary.overrides)),
                ("decision_types", summary.types),
                ("adjacent_share", min(adjacent) if adjacent else None),
                ("root_cause", "unstructured decisions"),
                findings=group,
            ),
            impact=impact,
            plan=plan,
            attribution=(
                f"humans override {role}'s own recommendations in "
                f"{plural(len(summary.types), 'decision type')} (the findings' tests over projects)"
            ),
            effort="medium",
            risk="medium" if any(f.thin_evidence for f in group) else "low",
            markers=[f"Decision framework for {summary.type_text}"],
        )
        if suggestion:
            out.append(suggestion)
    return out
