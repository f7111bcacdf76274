"""Building a suggestion from a rule's parts: the new text within its budget, the
evidence list, the expected impact and the A/B experiment that would test it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autoforge_learn.findings import Finding
from autoforge_learn.suggest.context import RuleContext, Target
from autoforge_learn.suggest.estimates import (
    MAX_PROJECTS,
    Measured,
    Scaled,
    projects_per_arm,
    scaled,
    sd_from_interval,
)
from autoforge_learn.suggest.model import (
    ExpectedImpact,
    Experiment,
    ProposedChange,
    Suggestion,
)
from autoforge_learn.suggest.prose import fit_lines
from autoforge_learn.suggest.text import append_block


@dataclass(frozen=True)
class Impact:
    """What a rule expects of its change, before it is a :class:`ExpectedImpact`.

    Attributes:
        gate: ``efficacy x measured rate`` (None: not estimated, 0).
        retry: Likewise for the retries (or overrides, rejections) addressed.
        basis: What is measured and what is a prior.
        tokens: ``improved``, ``neutral``, ``slightly_worse`` (None: from the text size).
    """

    gate: Scaled | None
    retry: Scaled | None
    basis: str
    tokens: str | None = None


@dataclass(frozen=True)
class Plan:
    """The experiment a rule's change calls for.

    Attributes:
        metric: The metric compared per project.
        effect: The expected effect on it (> 0).
        sd: The between-project SD assumed.
        basis: How the effect and the SD were got.
        gate_id: The gate of a gate pass rate.
    """

    metric: str
    effect: float
    sd: float
    basis: str
    gate_id: str | None = None


def thin_note(findings: Sequence[Finding]) -> str:
    """A rationale prefix flagging thin evidence ("" when the evidence is solid)."""
    thin = [f for f in findings if f.thin_evidence]
    if not thin:
        return ""
    sizes = ", ".join(str(f.sample_size) for f in thin)
    return (
        f"THIN EVIDENCE (sample size {sizes}): confidence lowered; treat as a hypothesis "
        "and A/B test before adopting. "
    )


def evidence_list(*pairs: tuple[str, Any], findings: Sequence[Finding] = ()) -> list[dict]:
    """Single-key evidence mappings (None values left out), then finding and event ids."""
    out: list[dict[str, Any]] = []
    for key, value in pairs:
        if value is None or value == [] or value == "":
            continue
        out.append({key: round(value, 4) if isinstance(value, float) else value})
    for finding in findings:
        out.append({"finding_id": finding.id})
    events = [e.event_id for f in findings for e in f.examples if e.event_id]
    if events:
        out.append({"example_event_ids": list(dict.fromkeys(events))})
    return out


def compose(old_text: str, blocks: Sequence[Sequence[str]], budget: int) -> str:
    """``old_text`` with the blocks appended (a blank line between), each block's lines
    kept while they fit in ``budget`` added characters; a block of which fewer than two
    lines fit is left out."""
    parts: list[str] = []
    used = 0
    for block in blocks:
        room = budget - used - (2 if parts or old_text.strip() else 0)
        lines = fit_lines(list(block), room)
        if len(lines) < min(2, len(block)):
            continue
        text = "\n".join(lines)
        parts.append(text)
        used += len(text) + 2
    if not parts:
        return old_text
    return append_block(old_text, "\n\n".join(parts))


def token_effect(target: Target, new_text: str) -> str:
    """``improved``, ``neutral`` or ``slightly_worse`` from how much the prompt grows."""
    grown = len(new_text) - len(target.old_text)
    total = sum(len(t) for t in target.version.sections.values()) if target.version else 0
    if grown < 0:
        return "improved"
    return "neutral" if total and grown <= 0.1 * total else "slightly_worse"


def experiment(ctx: RuleContext, role: str, base: str | None, plan: Plan) -> Experiment:
    """The A/B experiment of a change: current version against the one apply creates."""
    treatment = ctx.next_version(role)
    n = projects_per_arm(
        plan.effect, plan.sd, alpha=ctx.config.experiment_alpha, power=ctx.config.experiment_power
    )
    command = (
        f"autoforge ab start --role {role} --control {base or 'none'} --treatment "
        f"{treatment} --metric {plan.metric}"
    )
    too_small = (
        f"; the expected effect is too small to test: more than {MAX_PROJECTS:,} projects "
        "per arm would be needed" if n >= MAX_PROJECTS else ""
    )
    return Experiment(
        command=command,
        metric=plan.metric,
        control=base,
        treatment=treatment,
        planned_projects_per_arm=n,
        expected_effect=plan.effect,
        assumed_sd=plan.sd,
        alpha=ctx.config.experiment_alpha,
        power=ctx.config.experiment_power,
        gate_id=plan.gate_id,
        basis=(
            f"{plan.basis}; projects per arm for {ctx.config.experiment_power:.0%} power "
            f"of a two-sided two-sample t-test over projects at alpha "
            f"{ctx.config.experiment_alpha:g} (d = {plan.effect / plan.sd:.3f}){too_small}"
            if plan.sd > 0 else plan.basis + too_small
        ),
    )


def _interval(value: Scaled | None) -> tuple[float, float] | None:
    """A scaled estimate's interval; ``(0, 0)`` for what is not estimated (0 by
    construction), None when the measurement had no interval."""
    if value is None:
        return (0.0, 0.0)
    if value.low is None or value.high is None:
        return None
    return (value.low, value.high)


def expected(impact: Impact, tokens: str) -> ExpectedImpact:
    """The :class:`ExpectedImpact` of a rule's :class:`Impact`."""
    gate, retry = impact.gate, impact.retry
    return ExpectedImpact(
        gate_success_improvement=gate.value if gate else 0.0,
        retry_reduction=retry.value if retry else 0.0,
        token_efficiency=impact.tokens or tokens,
        gate_success_interval=_interval(gate),
        retry_reduction_interval=_interval(retry),
        basis=impact.basis,
    )


def make(
    kind: str,
    target: Target,
    *,
    rationale: str,
    findings: Sequence[Finding],
    ctx: RuleContext,
    evidence: list[dict[str, Any]],
    impact: Impact,
    plan: Plan,
    attribution: str,
    blocks: Sequence[Sequence[str]] = (),
    new_text: str | None = None,
    tested: bool = True,
    effort: str = "low",
    risk: str = "low",
    markers: Sequence[str] = (),
) -> Suggestion | None:
    """Build a suggestion: ``blocks`` appended to the section (within
    ``max_added_chars``), or the whole ``new_text`` (rule 5).

    Returns None if the new text would change nothing, or if the role's current prompt
    already holds every one of ``markers`` (texts the edit adds, e.g. the quoted
    rejections): then the change was already made, e.g. by applying an earlier suggestion.
    """
    if new_text is None:
        new_text = compose(target.old_text, blocks, ctx.config.max_added_chars)
    if new_text.strip() == target.old_text.strip():
        return None
    present = [m for m in markers if m]
    prompt = "\n".join(target.version.sections.values()) if target.version else ""
    if present and all(m in prompt or m in target.old_text for m in present):
        return None
    score, basis = ctx.confidence(kind, findings, tested=tested)
    base = target.version.id if target.version else None
    return Suggestion(
        suggestion_id="",
        agent_role=target.role,
        suggestion_type=str(kind),
        confidence=score,
        evidence=evidence,
        proposed_change=ProposedChange(
            prompt_file=target.prompt_file,
            section=target.section,
            old_text=target.old_text,
            new_text=new_text,
            rationale=(thin_note(findings) + rationale).strip(),
        ),
        expected_impact=expected(impact, token_effect(target, new_text)),
        implementation_effort=effort,
        risk=risk,
        base_version=base,
        finding_ids=[f.id for f in findings],
        confidence_basis=basis,
        attribution=attribution,
        experiment=experiment(ctx, target.role, base, plan),
        impact=max((float(f.impact or 0) for f in findings), default=0.0),
        blocks=[list(b) for b in blocks],
    )


def rate_change(
    ctx: RuleContext,
    kind: str,
    measured: Measured,
    *,
    metric: str,
    factor: float = 1.0,
    factor_text: str = "",
) -> tuple[Impact, Plan]:
    """Impact and experiment of a change that lowers a measured rate (of rejections,
    overrides): ``retry_reduction = efficacy x factor x rate``, no gate estimate."""
    e = ctx.efficacy(kind)
    retry = scaled(e * factor, measured)
    assert retry is not None
    prior = f"efficacy {e:g} (suggest.efficacy for {kind}: a prior, not estimated)"
    basis = (
        f"retry_reduction = {prior}"
        + (f" x {factor_text} {factor:.2f}" if factor_text else "")
        + f" x {measured.label}, {measured.text()}; gate_success_improvement not "
        "estimated (0)"
    )
    sd = sd_from_interval(measured)
    sd_basis = f"SD {sd:.3f} from the finding's interval over projects" if sd else ""
    if sd is None:
        p = min(max(measured.value, 0.01), 0.99)
        sd = math.sqrt(p * (1 - p))
        sd_basis = f"SD {sd:.3f} assumed binomial at the rate (one decision per project)"
    plan = Plan(
        metric=metric,
        effect=retry.value,
        sd=sd,
        basis=f"expected effect = a fall of {retry.value:.3f} in the {metric}; {sd_basis}",
    )
    return Impact(gate=None, retry=retry, basis=basis), plan
