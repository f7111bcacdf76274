"""Rules 1 and 2 of 6: constraint clarity and example addition (from gate failures).

Both act only on causes a prompt edit may fix (:meth:`RuleContext.gate_cause`: the cause
is attributable to the role's prompt and its current version does not fix it already);
the others are set aside with their reason. One cause makes one suggestion: rule 1 when
its rejections say the output lacks content, else rule 2. The text is the data's own
words: requirements only where a rejection yields one cleanly, the real rejections
quoted (never a template label, code or a stack trace), within ``max_added_chars``.
"""

from __future__ import annotations

from collections.abc import Sequence

from autoforge_learn.findings import Finding, GateCauseEvidence, RetryEvidence
from autoforge_learn.suggest.attribution import phrasings
from autoforge_learn.suggest.base import (
    GateCause,
    Impact,
    Plan,
    RuleContext,
    evidence_list,
    make,
)
from autoforge_learn.suggest.estimates import (
    gate_pass_sd,
    projects_of,
    scaled,
    share_measured,
)
from autoforge_learn.suggest.examples import (
    example_block,
    example_section,
    query_words,
    quote_lines,
)
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.prose import quotes, runtime_share
from autoforge_learn.suggest.requirements import requirements
from autoforge_learn.suggest.rules_retries import retry_example
from autoforge_learn.suggest.runs import SetAsideReason
from autoforge_learn.suggest.text import (
    is_missing_detail,
    pct,
    slug,
)


def requirement_block(
    gate: str, needs: Sequence[str], shown: Sequence[tuple[str, int]]
) -> list[str]:
    """Rule 1's lines: the requirements the rejections yield, then the rejections to
    check against."""
    lines: list[str] = []
    if needs:
        lines.append(f"Gate {gate} requires:")
        lines += [f"- {need}" for need in needs]
    if shown:
        lines.append(
            f"Before handing off, check the output against these rejections of gate {gate}; "
            "none may apply to anything the output covers:"
        )
        lines += quote_lines(shown)
    return lines


def _text_check(cause: GateCause) -> str:
    """What the check of the current prompt's text found (the rule only runs when no
    section states the cause)."""
    current = cause.current
    if current.version is None:
        return "The role has no prompt version yet."
    closest = current.closest
    if closest is None:
        return (
            f"Whether {current.version.id} already states it could not be checked: its "
            "rejections share fewer than two key words."
        )
    return (
        f"No section of {current.version.id} states it: the closest, '{closest.section}', "
        f"holds {pct(closest.coverage)} of its key words ({', '.join(closest.keys)})."
    )


def _rationale(role: str, ev: GateCauseEvidence, cause: GateCause, top: str | None) -> str:
    share = ev.share_of_failures
    return (
        f"{role}'s output fails gate {ev.gate_id} for this cause: {ev.failures} failing "
        f"checks" + (f", {pct(share)} of the gate's failures" if share is not None else "")
        + (f' (most often "{top}")' if top else "")
        + f"; {cause.measured.label}: {cause.measured.text()}. "
        f"Put down to the prompt because {cause.attribution.basis}. {_text_check(cause)}"
    )


def _gate_estimates(
    ctx: RuleContext, kind: str, finding: Finding, ev: GateCauseEvidence, cause: GateCause
) -> tuple[Impact, Plan]:
    """Expected impact (efficacy prior x measured rate) and the experiment's plan."""
    e = ctx.efficacy(kind)
    measured = cause.measured
    gate = scaled(e, measured)
    share = share_measured(
        ev.failures, ev.gate_failures, "the cause's share of the gate's failing checks",
        projects_of(finding),
    )
    retry = scaled(e, share)
    assert gate is not None
    prior = f"efficacy {e:g} (suggest.efficacy for {kind}: a prior, not estimated)"
    basis = (
        f"gate_success_improvement = {prior} x {measured.label}, {measured.text()}"
        + (
            f"; retry_reduction = the same efficacy x {share.label}, {pct(share.value)} "
            f"({ev.failures} of {ev.gate_failures}, 95% {pct(share.low)}-{pct(share.high)})"
            if share is not None else "; retry_reduction not estimated (no gate failures)"
        )
    )
    sd, sd_basis = gate_pass_sd(
        ev.gate_failure_rate if ev.gate_failure_rate is not None else measured.value, measured
    )
    plan = Plan(
        metric="gate_pass_rate",
        effect=gate.value,
        sd=sd,
        basis=f"expected effect = gate_success_improvement {gate.value:.3f} on gate "
        f"{ev.gate_id}'s first-check pass rate; {sd_basis}",
        gate_id=ev.gate_id,
    )
    return Impact(gate=gate, retry=retry, basis=basis), plan


def _gate_evidence(finding: Finding, ev: GateCauseEvidence, cause: GateCause) -> list[dict]:
    m = cause.current.measured
    return evidence_list(
        ("gate_failure_rate", ev.gate_failure_rate),
        ("retry_count", ev.retries),
        ("root_cause", ev.cause),
        ("gate_id", ev.gate_id),
        ("failures", int(ev.failures)),
        ("share_of_failures", ev.share_of_failures),
        ("prompt_version", finding.prompt_version),
        ("current_version_rate", m.rate if m else None),
        ("current_version_rate_interval", [m.low, m.high] if m and m.low is not None else None),
        ("p_versions_differ", ev.p_versions_differ),
        ("q_value", finding.hypothesis.q_value if finding.hypothesis else None),
        findings=[finding],
    )


def _gate_findings(findings: Sequence[Finding], ctx: RuleContext, *, missing: bool):
    """Gate cause findings with enough failures whose cause reads (or not) as missing
    content, with the cause if a prompt edit may fix it."""
    for finding in findings:
        ev = finding.evidence
        if not isinstance(ev, GateCauseEvidence) or not finding.agent_role:
            continue
        texts = phrasings(finding, ev)
        # A runtime error's "has no attribute" is not missing content of the output.
        reads_missing = is_missing_detail([ev.cause, *(t for t, _ in texts)]) and (
            runtime_share(texts or [(ev.cause, 1)]) < 0.5)
        if reads_missing != missing:
            continue
        if missing and ev.failures < ctx.config.min_failures:
            continue
        if not missing and (
            ev.failures < ctx.config.min_failures and ev.retries < ctx.config.min_retries
        ):
            continue
        cause = ctx.gate_cause(finding)
        if cause is not None:
            yield finding, ev, texts, cause


def constraint_clarity(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 1: a gate fails repeatedly because the output misses a detail -> require it.

    Fires on ``gate_failure_root_cause`` discoveries with at least ``min_failures``
    failures whose cause or phrasings say something is missing, when the cause is the
    prompt's doing and not yet fixed. The new text states what the rejections yield as
    requirements (only where one comes out cleanly) and lists the gate's most frequent
    real rejections to check the output against.
    """
    out: list[Suggestion] = []
    config = ctx.config
    kind = SuggestionType.CONSTRAINT_CLARITY
    for finding, ev, texts, cause in _gate_findings(findings, ctx, missing=True):
        role = str(finding.agent_role)
        shown = quotes(texts, limit=config.max_quotes, chars=config.max_quote_chars)
        needs = requirements(texts)
        if not shown and not needs:
            ctx.set_aside_finding(
                finding, SetAsideReason.NO_CLEAN_TEXT,
                "its rejections are code, stack traces or template labels only",
                gate_id=ev.gate_id,
            )
            continue
        query = query_words(ev.gate_id, *needs, *(t for t, _ in shown))
        target = ctx.target(role, query, new_section=slug(ev.gate_id))
        impact, plan = _gate_estimates(ctx, kind, finding, ev, cause)
        suggestion = make(
            kind,
            target,
            blocks=[requirement_block(ev.gate_id, needs, shown)],
            rationale=_rationale(role, ev, cause, shown[0][0] if shown else None),
            findings=[finding],
            ctx=ctx,
            evidence=_gate_evidence(finding, ev, cause),
            impact=impact,
            plan=plan,
            attribution=cause.attribution.basis,
            tested=cause.attribution.tested,
            risk="medium" if finding.thin_evidence else "low",
            markers=[f'"{text}"' for text, _ in shown] + list(needs),
        )
        if suggestion:
            out.append(suggestion)
    return out


def _gate_example(
    finding: Finding, ev: GateCauseEvidence, texts: list[tuple[str, int]], cause: GateCause,
    ctx: RuleContext,
) -> Suggestion | None:
    config = ctx.config
    kind = SuggestionType.EXAMPLE_ADDITION
    role = str(finding.agent_role)
    shown = quotes(texts, limit=config.max_quotes, chars=config.max_quote_chars)
    if not shown:
        ctx.set_aside_finding(
            finding, SetAsideReason.NO_CLEAN_TEXT,
            "its rejections are code, stack traces or template labels only", gate_id=ev.gate_id,
        )
        return None
    query = query_words(ev.gate_id, *(t for t, _ in shown))
    section = example_section(ctx, role, query, ev.gate_id)
    target = ctx.target(role, [], new_section=section, prefer=[section])
    header = (
        f"Examples of outputs gate {ev.gate_id} rejected (real rejections, most frequent "
        "first); before handing off, check that none of them applies to yours:"
    )
    impact, plan = _gate_estimates(ctx, kind, finding, ev, cause)
    return make(
        kind,
        target,
        blocks=[example_block(header, shown, [])],
        rationale=_rationale(role, ev, cause, shown[0][0]),
        findings=[finding],
        ctx=ctx,
        evidence=_gate_evidence(finding, ev, cause),
        impact=impact,
        plan=plan,
        attribution=cause.attribution.basis,
        tested=cause.attribution.tested,
        risk="medium" if finding.thin_evidence else "low",
        markers=[f'"{text}"' for text, _ in shown],
    )


def example_addition(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 2: an agent struggles repeatedly -> add examples built from real failures.

    Fires on ``gate_failure_root_cause`` discoveries whose cause does not read as missing
    content (rule 1 takes those) and recurs (``min_failures`` failures or ``min_retries``
    retries), when the cause is the prompt's doing and not yet fixed; and on
    ``retry_hotspot`` discoveries whose retried checks' reasons name missing content (not
    runtime errors). The examples go to an ``examples*`` section.
    """
    out: list[Suggestion] = []
    for finding, ev, texts, cause in _gate_findings(findings, ctx, missing=False):
        made = _gate_example(finding, ev, texts, cause, ctx)
        if made:
            out.append(made)
    for finding in findings:
        ev = finding.evidence
        role = finding.agent_role or finding.key.get("agent_role")
        if isinstance(ev, RetryEvidence) and role:
            made = retry_example(finding, ev, role, ctx)
            if made:
                out.append(made)
    return out
