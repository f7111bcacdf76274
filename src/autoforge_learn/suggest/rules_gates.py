"""Rules 1 and 2 of spec 6.1: constraint clarity and example addition (from gate failures).

Both act only on causes a prompt edit may fix (:meth:`RuleContext.gate_cause`: the cause
is attributable to the role's prompt and its current version does not fix it already);
the others are set aside with their reason. One cause makes one suggestion: rule 1 when
its rejections say the output lacks content, else rule 2. The text is the data's own
words: requirements only where a rejection yields one cleanly, the real rejections
quoted (never a template label, code or a stack trace), within ``max_added_chars``.
"""

from __future__ import annotations

import math
import re
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
    Z95,
    Measured,
    finding_measured,
    gate_pass_sd,
    projects_of,
    scaled,
    sd_from_interval,
    share_measured,
)
from autoforge_learn.suggest.model import SetAsideReason, Suggestion, SuggestionType
from autoforge_learn.suggest.prose import quotes, requirements, runtime_share
from autoforge_learn.suggest.text import (
    MISSING_WORDS,
    best_section,
    is_missing_detail,
    pct,
    slug,
    words,
)


def _query(*texts: str) -> list[str]:
    # Words that only say "absent" match nothing useful in a prompt; leave them out.
    return [w for t in texts for w in words(t) if not MISSING_WORDS.fullmatch(w)]


def _quote_lines(shown: Sequence[tuple[str, int]]) -> list[str]:
    return [f'- "{text}" ({count}x)' for text, count in shown]


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
        lines += _quote_lines(shown)
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
        target = ctx.target(
            role, _query(ev.gate_id, *needs, *(t for t, _ in shown)), new_section=slug(ev.gate_id)
        )
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


def _example_section(ctx: RuleContext, role: str, query: list[str], topic: str) -> str:
    version = ctx.latest(role)
    sections = version.sections if version else {}
    own = f"examples_{slug(topic)}"
    named = {n: t for n, t in sections.items() if "example" in n.lower()}
    if own in named:
        return own
    return best_section(named, query) or own


def example_block(
    header: str, shown: Sequence[tuple[str, int]], needs: Sequence[str]
) -> list[str]:
    """Rule 2's lines: the real rejections as examples of what fails, then what the
    rejections yield as requirements (if any)."""
    lines = [header, *_quote_lines(shown)]
    if needs:
        lines.append("A passing output meets: " + " ".join(needs))
    return lines


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
    section = _example_section(ctx, role, _query(ev.gate_id, *(t for t, _ in shown)), ev.gate_id)
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


def _retry_example(finding: Finding, ev: RetryEvidence, role: str, ctx: RuleContext
                   ) -> Suggestion | None:
    """An example from a retry hotspot's reasons (None: nothing attributable to show)."""
    config = ctx.config
    kind = SuggestionType.EXAMPLE_ADDITION
    reasons = [(r.text, r.count or 1) for r in ev.top_reasons if r.text.strip()] or [
        (e.text, 1) for e in finding.examples if e.text
    ]
    if not reasons:
        return None
    runtime = runtime_share(reasons)
    if runtime >= 0.5:
        ctx.set_aside_finding(
            finding, SetAsideReason.RUNTIME_ERROR,
            f"{pct(runtime)} of the retried checks' reasons read as runtime or "
            "infrastructure errors: a problem of the environment or the tools, not of the "
            "prompt",
        )
        return None
    if not is_missing_detail(t for t, _ in reasons):
        ctx.set_aside_finding(
            finding, SetAsideReason.NOT_PROMPT_SPECIFIC,
            "the retries' reasons do not name missing content, and retries are not "
            "compared between prompt versions: not shown to depend on the prompt",
        )
        return None
    shown = quotes(reasons, limit=config.max_quotes, chars=config.max_quote_chars)
    if not shown:
        ctx.set_aside_finding(
            finding, SetAsideReason.NO_CLEAN_TEXT,
            "its reasons are code, stack traces or template labels only",
        )
        return None
    needs = requirements(reasons)
    scope = finding.key.get("platform") or finding.key.get("client_domain") or ""
    if len(scope) > 40 or re.search(r"[.!?;:<>]", scope):
        scope = ""  # not a name fit for a prompt (e.g. a sentence an importer took for one)
    avg = ev.avg_retries if ev.avg_retries is not None else finding.value
    base = finding.baseline if finding.baseline is not None else (finding.threshold or 0.0)
    if avg <= base:
        return None
    section = _example_section(ctx, role, _query(*(t for t, _ in shown)), scope or "retries")
    target = ctx.target(role, [], new_section=section, prefer=[section])
    header = (
        f"Examples{' for ' + scope + ' projects' if scope else ''} of outputs that had to "
        "be retried, with the reasons (most frequent first); check yours against them:"
    )
    e = ctx.efficacy(kind)
    excess = _excess(finding, avg, base)
    retry = scaled(e, excess)
    measured = finding_measured(finding, "retries per stage run")
    sd = sd_from_interval(measured)
    sd_basis = "SD from the finding's interval over projects"
    if sd is None:
        sd, sd_basis = math.sqrt(max(avg, 0.01)), "SD assumed Poisson, sqrt(mean retries)"
    effect = e * max(avg - base, 0.0)
    gates = ", ".join(f"{g.gate_id} ({g.retries})" for g in ev.top_gates[:3])
    return make(
        kind,
        target,
        blocks=[example_block(header, shown, needs)],
        rationale=(
            f"{role} averaged {avg:.1f} retries per stage"
            + (f" on {scope} projects" if scope else "")
            + (f" (most retried gates: {gates})" if gates else "")
            + f", against {base:g}; its retries' reasons name missing content. Put down to "
            "the prompt by wording, not tested against prompt versions."
        ),
        findings=[finding],
        ctx=ctx,
        evidence=evidence_list(
            ("avg_retries", avg),
            ("retry_count", ev.retries_total),
            ("root_cause", shown[0][0]),
            ("scope", scope or None),
            ("q_value", finding.hypothesis.q_value if finding.hypothesis else None),
            findings=[finding],
        ),
        impact=Impact(
            gate=None,
            retry=retry,
            basis=(
                f"retry_reduction = efficacy {e:g} (suggest.efficacy for {kind}: a prior, not "
                f"estimated) x {excess.label if excess else 'the excess retries'}"
                + (f", {excess.text()}" if excess else "")
                + "; gate_success_improvement not estimated (0)"
            ),
        ),
        plan=Plan(
            metric="avg_retries_per_task",
            effect=effect,
            sd=sd,
            basis=f"expected effect = efficacy x (mean retries {avg:.2f} - threshold "
            f"{base:g}) = {effect:.3f} retries per stage; {sd_basis} ({sd:.3f})",
        ),
        attribution="retries' reasons name missing content in the output: put down to the "
        "prompt by wording, not tested",
        tested=False,
        risk="medium" if finding.thin_evidence else "low",
        markers=[f'"{text}"' for text, _ in shown],
    )


def _excess(finding: Finding, avg: float, base: float) -> Measured | None:
    """The share of retries above the threshold, with the interval from the mean's."""
    if avg <= 0:
        return None
    low, high = finding.interval if finding.interval is not None else (None, None)
    if low is None and isinstance(finding.evidence, RetryEvidence) and finding.evidence.stages:
        half = Z95 * math.sqrt(avg / finding.evidence.stages)  # Poisson, over stage runs
        low, high = max(avg - half, 0.0), avg + half

    def share(value: float | None) -> float | None:
        return None if value is None or value <= 0 else max(0.0, 1 - base / value)

    return Measured(
        max(0.0, 1 - base / avg), share(low), share(high), projects_of(finding),
        "the share of its retries above the threshold",
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
            made = _retry_example(finding, ev, role, ctx)
            if made:
                out.append(made)
    return out
