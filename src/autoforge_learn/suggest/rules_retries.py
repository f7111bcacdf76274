"""Rule 2 on retry hotspots: examples built from the reasons of the retried checks.

A retry hotspot makes an example suggestion when its reasons name missing content (not
runtime or infrastructure errors) and the group retries more than the threshold; the
reasons are quoted (never code, a stack trace or a template label), with the
requirements they yield. Retries are not compared between prompt versions, so the
change is put down to the prompt by wording only.
"""

from __future__ import annotations

import math
import re

from autoforge_learn.findings import Finding, RetryEvidence
from autoforge_learn.suggest.build import Impact, Plan, evidence_list, make
from autoforge_learn.suggest.context import RuleContext
from autoforge_learn.suggest.estimates import (
    Z95,
    Measured,
    finding_measured,
    projects_of,
    scaled,
    sd_from_interval,
)
from autoforge_learn.suggest.examples import example_block, example_section, query_words
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.prose import quotes, runtime_share
from autoforge_learn.suggest.requirements import requirements
from autoforge_learn.suggest.runs import SetAsideReason
from autoforge_learn.suggest.text import is_missing_detail, pct


def _reasons(finding: Finding, ev: RetryEvidence, ctx: RuleContext) -> list[tuple[str, int]]:
    """The retried checks' reasons with counts (the examples' texts when none), or none
    when they do not point at the prompt: then the finding is set aside with the reason."""
    reasons = [(r.text, r.count or 1) for r in ev.top_reasons if r.text.strip()] or [
        (e.text, 1) for e in finding.examples if e.text
    ]
    if not reasons:
        return []
    runtime = runtime_share(reasons)
    if runtime >= 0.5:
        ctx.set_aside_finding(
            finding, SetAsideReason.RUNTIME_ERROR,
            f"{pct(runtime)} of the retried checks' reasons read as runtime or "
            "infrastructure errors: a problem of the environment or the tools, not of the "
            "prompt",
        )
        return []
    if not is_missing_detail(t for t, _ in reasons):
        ctx.set_aside_finding(
            finding, SetAsideReason.NOT_PROMPT_SPECIFIC,
            "the retries' reasons do not name missing content, and retries are not "
            "compared between prompt versions: not shown to depend on the prompt",
        )
        return []
    return reasons


def _scope(finding: Finding) -> str:
    """The platform or client domain the hotspot is about ("" for none, or for a name
    unfit for a prompt, e.g. a sentence an importer took for one)."""
    scope = finding.key.get("platform") or finding.key.get("client_domain") or ""
    return "" if len(scope) > 40 or re.search(r"[.!?;:<>]", scope) else scope


def _estimates(
    finding: Finding, ctx: RuleContext, kind: str, avg: float, base: float
) -> tuple[Impact, Plan]:
    """Impact and experiment: ``retry_reduction = efficacy x`` the share of retries above
    the threshold; the experiment compares mean retries per stage run."""
    e = ctx.efficacy(kind)
    excess = _excess(finding, avg, base)
    retry = scaled(e, excess)
    measured = finding_measured(finding, "retries per stage run")
    sd = sd_from_interval(measured)
    sd_basis = "SD from the finding's interval over projects"
    if sd is None:
        sd, sd_basis = math.sqrt(max(avg, 0.01)), "SD assumed Poisson, sqrt(mean retries)"
    effect = e * max(avg - base, 0.0)
    impact = Impact(
        gate=None,
        retry=retry,
        basis=(
            f"retry_reduction = efficacy {e:g} (suggest.efficacy for {kind}: a prior, not "
            f"estimated) x {excess.label if excess else 'the excess retries'}"
            + (f", {excess.text()}" if excess else "")
            + "; gate_success_improvement not estimated (0)"
        ),
    )
    plan = Plan(
        metric="avg_retries_per_task",
        effect=effect,
        sd=sd,
        basis=f"expected effect = efficacy x (mean retries {avg:.2f} - threshold "
        f"{base:g}) = {effect:.3f} retries per stage; {sd_basis} ({sd:.3f})",
    )
    return impact, plan


def retry_example(finding: Finding, ev: RetryEvidence, role: str, ctx: RuleContext
                  ) -> Suggestion | None:
    """An example from a retry hotspot's reasons (None: nothing attributable to show)."""
    config = ctx.config
    kind = SuggestionType.EXAMPLE_ADDITION
    reasons = _reasons(finding, ev, ctx)
    if not reasons:
        return None
    shown = quotes(reasons, limit=config.max_quotes, chars=config.max_quote_chars)
    if not shown:
        ctx.set_aside_finding(
            finding, SetAsideReason.NO_CLEAN_TEXT,
            "its reasons are code, stack traces or template labels only",
        )
        return None
    needs = requirements(reasons)
    scope = _scope(finding)
    avg = ev.avg_retries if ev.avg_retries is not None else finding.value
    base = finding.baseline if finding.baseline is not None else (finding.threshold or 0.0)
    if avg <= base:
        return None
    query = query_words(*(t for t, _ in shown))
    section = example_section(ctx, role, query, scope or "retries")
    target = ctx.target(role, [], new_section=section, prefer=[section])
    header = (
        f"Examples{' for ' + scope + ' projects' if scope else ''} of outputs that had to "
        "be retried, with the reasons (most frequent first); check yours against them:"
    )
    impact, plan = _estimates(finding, ctx, kind, avg, base)
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
        impact=impact,
        plan=plan,
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
