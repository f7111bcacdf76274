"""Pattern 4: human override frequency (spec 4.1).

A decision is *overridden* when the human chose something other than the agent's
recommendation (``decision_aligned`` false). ``override_rate`` = overrides / decisions per
``(decision_type, agent_role)``, with a Wilson interval. Severity: ``high`` when the
interval's lower bound is at least ``threshold`` (spec: 50%), ``medium`` when the rate
is, else ``low``. ``adjacent_share``: among overrides with the options known, the share
where the human chose an option next to the recommended one in ``options_offered``
(spec 3.1's "reasonable" alignment). Impact = overrides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, OverrideEvidence, Pattern
from autoforge_learn.patterns.common import examples, r, rate_severity, thin, top_texts
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
    from autoforge_learn.stats import wilson_interval

    threshold = settings.human_override.threshold
    a = data.approvals
    if a.empty:
        return []
    a = a.assign(overridden=overridden(a))
    findings = []
    for (decision_type, role), group in a.groupby(["decision_type", "agent_role"], sort=True):
        n = len(group)
        over = group[group["overridden"]]
        k = len(over)
        columns = (over[c].tolist() for c in ("options_offered", "agent_recommendation",
                                               "human_decision"))
        adj = [x for x in map(nearby_option, *columns) if x is not None]
        findings.append(Finding(
            pattern=Pattern.HUMAN_OVERRIDE,
            key={"decision_type": str(decision_type), "agent_role": str(role)},
            title=f"{role} {decision_type} overridden {k / n:.0%} ({k} of {n})",
            severity=rate_severity(k, n, threshold, strict=False),
            metric="override_rate",
            value=r(k / n) or 0.0,
            interval=wilson_interval(k, n),
            sample_size=n,
            threshold=threshold,
            baseline=r(a["overridden"].mean()),
            impact=float(k),
            thin_evidence=thin(n, settings),
            agent_role=str(role),
            prompt_version=(str(over["prompt_version"].mode().iloc[0])
                            if k and over["prompt_version"].notna().any() else None),
            evidence=OverrideEvidence(
                decisions=n,
                overrides=k,
                override_rate=r(k / n),
                reasons=top_texts(over["human_reasoning"]),
                chosen_instead=top_texts(over["human_decision"]),
                adjacent_share=r(sum(adj) / len(adj)) if adj else None,
            ),
            examples=examples(over, "human_reasoning"),
        ))
    return sorted(findings, key=lambda f: (-f.value, -f.impact))
