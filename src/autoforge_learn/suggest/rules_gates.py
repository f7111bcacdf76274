"""Rules 1 and 2 of spec 6.1: constraint clarity and example addition (from gate failures)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autoforge_learn.findings import (
    Example,
    Finding,
    GateCauseEvidence,
    RetryEvidence,
    TextCount,
)
from autoforge_learn.settings import SuggestSettings
from autoforge_learn.suggest.base import RuleContext, evidence_list, make
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.text import (
    MISSING_WORDS,
    append_block,
    best_section,
    has_placeholders,
    is_missing_detail,
    pct,
    quote_top,
    readable,
    requirement,
    slug,
    words,
)


def _query(*texts: str) -> list[str]:
    # Words that only say "absent" match nothing useful in a prompt; leave them out.
    return [w for t in texts for w in words(t) if not MISSING_WORDS.fullmatch(w)]


def _gate_and_cause(ev: GateCauseEvidence) -> tuple[str, str]:
    """The gate and a readable cause (template placeholders like ``<num>`` dropped)."""
    return ev.gate_id, readable(ev.cause)


def _must(ev: GateCauseEvidence, cause: str) -> str | None:
    """The cause as a requirement, if its label reads as one (None for template labels)."""
    wanted = requirement(cause)
    return None if has_placeholders(ev.cause) or wanted.startswith("Avoid:") else wanted


def _phrasings(finding: Finding, ev: GateCauseEvidence, limit: int) -> list[tuple[str, int]]:
    """The most frequent real phrasings; ones differing only in numbers count as one."""
    raw = ev.phrasings or [TextCount(text=e.text, count=1) for e in finding.examples if e.text]
    groups: dict[str, list] = {}
    for text, count in quote_top(raw, limit=len(raw)):
        group = groups.setdefault(re.sub(r"\d+", "N", text.lower()), [text, 0])
        group[1] += count
    ranked = sorted(groups.values(), key=lambda g: -g[1])  # stable: most frequent text first
    return [(text, count) for text, count in ranked[:limit]]


def _requirement_block(
    gate: str, cause: str, failures: float, must: str | None, phrasings: list[tuple[str, int]]
) -> str:
    """Rule 1's text: the cause as a MUST, then the gate's real rejections to check against."""
    lines = [
        f"MUST ({cause}: gate {gate} rejected this output {failures:.0f} times): "
        + (
            f"{must}, for every item the output covers."
            if must
            else "none of the rejections below may apply to any item the output covers "
            "(every endpoint, screen, story or test, not only the one named)."
        ),
        f"Before handing off, check the output against the {gate} gate's most frequent "
        "rejections:",
    ]
    lines += [
        f'- Rejected: "{text}" ({count}x). Instead: {requirement(text)}.'
        for text, count in phrasings
    ]
    return "\n".join(lines)


def _clarity_rationale(
    role: str, ev: GateCauseEvidence, cause: str, failures: float, section: str
) -> str:
    """Why rule 1 suggests its change: how often the role missed the cause at the gate."""
    share, rate = ev.share_of_failures, ev.gate_failure_rate
    return (
        f"{role} missed '{cause}' in {failures:.0f} attempts at gate {ev.gate_id}"
        + (f" ({pct(share)} of its failures" if share is not None else " (")
        + (f", gate failure rate {pct(rate)})" if rate is not None else ")")
        + f"; section '{section}' does not require it. Adds the requirement as "
        "an explicit constraint with the gate's real rejection phrasings."
    )


def constraint_clarity(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 1: a gate fails repeatedly because the output misses a detail -> require it.

    Fires on ``gate_failure_root_cause`` findings with at least ``min_failures`` failures
    whose cause or phrasings say something is missing. The new text states the cause as
    an explicit MUST and lists the gate's most frequent real rejections with what to do
    instead.
    """
    out: list[Suggestion] = []
    config = ctx.config
    for finding in findings:
        ev = finding.evidence
        if not isinstance(ev, GateCauseEvidence) or not finding.agent_role:
            continue
        gate, cause = _gate_and_cause(ev)
        phrasings = _phrasings(finding, ev, config.max_quotes)
        failures = float(ev.failures)
        if failures < config.min_failures:
            continue
        if not is_missing_detail([cause, *(text for text, _ in phrasings)]):
            continue
        role = finding.agent_role
        target = ctx.target(
            role, _query(gate, cause, *(t for t, _ in phrasings)), new_section=slug(gate)
        )
        rate = ev.gate_failure_rate
        share = ev.share_of_failures
        requirement_block = _requirement_block(gate, cause, failures, _must(ev, cause), phrasings)
        new_text = append_block(target.old_text, requirement_block)
        rationale = _clarity_rationale(role, ev, cause, failures, target.section)
        checks = ev.gate_checks
        gain = (failures / checks) if checks else (rate or 0.0) * (share or 1.0)
        suggestion = make(
            SuggestionType.CONSTRAINT_CLARITY,
            target,
            new_text=new_text,
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(
                ("gate_failure_rate", rate),
                ("retry_count", ev.retries),
                ("root_cause", cause),
                ("gate_id", gate),
                ("failures", int(failures)),
                ("share_of_failures", share),
                ("prompt_version", finding.prompt_version),
                findings=[finding],
            ),
            gate_gain=gain * ctx.efficacy(SuggestionType.CONSTRAINT_CLARITY),
            retry_cut=(share if share is not None else 0.5)
            * ctx.efficacy(SuggestionType.CONSTRAINT_CLARITY),
            risk="medium" if finding.thin_evidence else "low",
            markers=[f'"{text}"' for text, _ in phrasings],
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


@dataclass(frozen=True)
class ExamplePlan:
    """What rule 2 writes for one finding, before a section is chosen.

    Attributes:
        header: The first line of the example block.
        expected: Requirements the expected output meets ("" or ``Avoid:`` ones are
            left out of the text).
        passes: What the expected output passes, e.g. ``passes gate api_contract``.
        problem: What the role did, for the rationale.
        evidence: Evidence pairs for :func:`~autoforge_learn.suggest.base.evidence_list`.
        retry_cut: Expected share of retries removed.
        gain: Expected gate pass-rate gain.
        phrasings: The real rejection texts and their counts.
        topic: What the example is about (names a new ``examples_*`` section).
    """

    header: str
    expected: list[str]
    passes: str
    problem: str
    evidence: list[tuple[str, object]]
    retry_cut: float
    gain: float
    phrasings: list[tuple[str, int]]
    topic: str


def _gate_cause_plan(
    finding: Finding, ev: GateCauseEvidence, config: SuggestSettings, efficacy: float
) -> ExamplePlan | None:
    """The example for a recurring gate failure cause (None if rule 1 covers it or too few)."""
    gate, cause = _gate_and_cause(ev)
    phrasings = _phrasings(finding, ev, config.max_quotes)
    retries = float(ev.retries)
    failures = float(ev.failures)
    missing = is_missing_detail([cause, *(t for t, _ in phrasings)])
    if retries < config.min_retries and (missing or failures < config.min_failures):
        return None
    return ExamplePlan(
        header=(
            f"Example for gate {gate} ({cause}: {failures:.0f} failures, "
            f"{retries:.0f} extra retries):"
        ),
        expected=[_must(ev, cause) or ""] + [requirement(t) for t, _ in phrasings[:2]],
        passes=f"passes gate {gate}",
        problem=(
            f"failed gate {gate} {failures:.0f} times for '{cause}', with {retries:.0f} "
            "extra retries"
        ),
        evidence=[
            ("gate_failure_rate", ev.gate_failure_rate),
            ("retry_count", ev.retries),
            ("root_cause", cause),
            ("gate_id", gate),
        ],
        retry_cut=efficacy * (ev.share_of_failures or 0.5),
        gain=efficacy * (failures / (ev.gate_checks or failures * 5 or 1)),
        phrasings=phrasings,
        topic=f"{gate} {cause}",
    )


def _retry_hotspot_plan(
    finding: Finding, ev: RetryEvidence, role: str, config: SuggestSettings, efficacy: float
) -> ExamplePlan | None:
    """The example for a retry hotspot (None if it names no reasons and no examples)."""
    reasons = quote_top(ev.top_reasons, limit=config.max_quotes)
    if not reasons and not finding.examples:
        return None
    phrasings = reasons or [(e.text, 1) for e in finding.examples if e.text]
    scope = finding.key.get("platform") or finding.key.get("client_domain") or ""
    avg = ev.avg_retries if ev.avg_retries is not None else finding.value
    gates = ", ".join(f"{g.gate_id} ({g.retries})" for g in ev.top_gates[:3])
    top = [g.gate_id for g in ev.top_gates[:3]]
    base = finding.baseline if finding.baseline is not None else finding.threshold
    return ExamplePlan(
        header=(
            f"Examples{' for ' + scope + ' projects' if scope else ''} ({role} averaged "
            f"{avg:.1f} retries per stage"
            + (f"; retried gates: {gates}" if gates else "")
            + "):"
        ),
        expected=[requirement(t) for t, _ in phrasings],
        passes="passes " + (", ".join(top) or "its gates"),
        problem=(
            f"averaged {avg:.1f} retries per stage"
            + (f" on {scope} projects" if scope else "")
            + (f" (most retried gates: {gates})" if gates else "")
        ),
        evidence=[
            ("avg_retries", avg),
            ("retry_count", ev.retries_total),
            ("root_cause", phrasings[0][0] if phrasings else None),
            ("scope", scope or None),
        ],
        retry_cut=efficacy * max(0.0, 1 - (base or 0.0) / avg) if avg else 0.0,
        gain=0.0,
        phrasings=phrasings,
        topic=scope or "retries",
    )


def _example_plan(
    finding: Finding, role: str, config: SuggestSettings, efficacy: float
) -> ExamplePlan | None:
    """The example plan for a finding of either kind rule 2 reads (None: nothing to add)."""
    ev = finding.evidence
    if isinstance(ev, GateCauseEvidence):
        return _gate_cause_plan(finding, ev, config, efficacy)
    if isinstance(ev, RetryEvidence):
        return _retry_hotspot_plan(finding, ev, role, config, efficacy)
    return None


def _example_text(plan: ExamplePlan, shown: Sequence[Example]) -> str:
    """The worked example: the real rejected inputs, the rejections, the expected output."""
    lines = [plan.header]
    for example in shown:
        lines.append(
            f"- Input: the {example.project_id} task; output rejected with "
            f'"{example.text}" (event {example.event_id}).'
        )
    lines.append(
        "- Most frequent rejections: "
        + "; ".join(f'"{t}" ({c}x)' for t, c in plan.phrasings)
        + "."
    )
    positive = [r for r in dict.fromkeys(plan.expected) if r and not r.startswith("Avoid:")]
    negative = [t for t, _ in plan.phrasings if requirement(t).startswith("Avoid:")]
    lines.append(
        f"  Expected output: one that {plan.passes}"
        + (": " + "; ".join(positive) if positive else "")
        + (
            "; it must not produce " + " or ".join(f'"{t}"' for t in negative)
            if negative
            else ""
        )
        + "."
    )
    return "\n".join(lines)


def example_addition(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 2: an agent struggles repeatedly -> add a worked example built from real failures.

    Fires on ``retry_hotspot`` findings that name reasons or examples, and on
    ``gate_failure_root_cause`` findings with at least ``min_retries`` retries (or a cause
    that is not a missing detail but recurs ``min_failures`` times). The example goes to
    an ``examples*`` section, so it never collides with rule 1's edit.
    """
    out: list[Suggestion] = []
    config = ctx.config
    efficacy = ctx.efficacy(SuggestionType.EXAMPLE_ADDITION)
    for finding in findings:
        role = finding.agent_role or finding.key.get("agent_role")
        if not role:
            continue
        plan = _example_plan(finding, role, config, efficacy)
        if plan is None:
            continue
        query = _query(plan.topic, *(t for t, _ in plan.phrasings))
        section = _example_section(ctx, role, query, plan.topic)
        target = ctx.target(role, [], new_section=section, prefer=[section])
        shown = [e for e in finding.examples if e.text][: config.max_quotes]
        rationale = (
            f"{role} {plan.problem}; a worked example built from these real rejections shows "
            "what output passes."
        )
        suggestion = make(
            SuggestionType.EXAMPLE_ADDITION,
            target,
            new_text=append_block(target.old_text, _example_text(plan, shown)),
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(*plan.evidence, findings=[finding]),
            gate_gain=plan.gain,
            retry_cut=plan.retry_cut,
            effort="low",
            risk="medium" if finding.thin_evidence else "low",
            markers=[f'"{e.text}"' for e in shown] or [f'"{t}"' for t, _ in plan.phrasings],
        )
        if suggestion:
            out.append(suggestion)
    return out
