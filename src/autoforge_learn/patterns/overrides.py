"""Pattern 4 of 8: human override frequency.

A decision is *overridden* when the human chose something other than the agent's
recommendation (``decision_aligned`` false). ``override_rate`` = overrides / decisions per
``(decision_type, agent_role)``, over projects (the ratio of their sums, delta-method
interval). The claim: humans override more than ``threshold`` (default 50%) of them,
tested over projects (one-sided). ``adjacent_share``: among overrides with the options
known, the share
where the human chose an option next to the recommended one in ``options_offered``
(the labels' "reasonable" alignment). Impact = overrides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, OverrideEvidence, Pattern, Severity
from autoforge_learn.patterns.claims import interval, per_project, versus_threshold
from autoforge_learn.patterns.common import examples, r, top_texts
from autoforge_learn.schema.decisions import nearby_option

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def overridden(approvals: Any) -> Any:
    """Boolean series: whether each approval overrode the agent."""
    aligned = approvals["decision_aligned"]
    fallback = approvals["human_decision"] == approvals["agent_recommendation"]
    return ~aligned.where(aligned.notna(), fallback).astype(bool)


def detect_overrides(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 4, one per decision type and role."""
    threshold = settings.human_override.threshold
    a = data.approvals
    if a.empty:
        return []
    a = a.assign(overridden=overridden(a))
    findings = []
    for (decision_type, role), group in a.groupby(["decision_type", "agent_role"], sort=True):
        finding = _finding(str(decision_type), str(role), group, threshold)
        if finding is not None:
            findings.append(finding)
    return sorted(findings, key=lambda f: (-f.value, -f.impact))


def _finding(decision_type: str, role: str, group: Any, threshold: float) -> Finding | None:
    """The override finding of one decision type of one role, tested over projects."""
    counts = per_project(group, group["overridden"])
    est, hypothesis = versus_threshold(
        counts,
        threshold,
        claim=f"humans override {role}'s {decision_type} recommendations more than "
        f"{threshold:.0%} of the time",
    )
    if est is None:
        return None
    n = len(group)
    over = group[group["overridden"]]
    k = len(over)
    columns = (over[c].tolist() for c in ("options_offered", "agent_recommendation",
                                           "human_decision"))
    adj = [x for x in map(nearby_option, *columns) if x is not None]
    return Finding(
        pattern=Pattern.HUMAN_OVERRIDE,
        key={"decision_type": decision_type, "agent_role": role},
        title=f"{role} {decision_type} overridden {est.value:.0%} ({k} of {n}, "
        f"{est.projects} projects)",
        severity=Severity.LOW,
        metric="override_rate",
        value=r(est.value) or 0.0,
        interval=interval(est),
        sample_size=n,
        threshold=threshold,
        baseline=threshold,
        impact=float(k),
        agent_role=role,
        prompt_version=(str(over["prompt_version"].mode().iloc[0])
                        if k and over["prompt_version"].notna().any() else None),
        evidence=OverrideEvidence(
            decisions=n,
            overrides=k,
            override_rate=r(est.value),
            reasons=top_texts(over["human_reasoning"]),
            chosen_instead=top_texts(over["human_decision"]),
            adjacent_share=r(sum(adj) / len(adj)) if adj else None,
        ),
        examples=examples(over, "human_reasoning"),
        hypothesis=hypothesis,
        projects=est.projects,
    )
