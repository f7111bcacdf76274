"""The order of a report's findings and suggestions.

The *top actions* are the findings to act on: discoveries (claims that survive
the run's false discovery correction) of high or medium severity. They are ranked by
severity, then by their *adjusted effect* (the end of the effect's 95% interval nearest
zero: the smallest effect the data support) relative to the finding's baseline value
(effects are on their metrics' scales, tokens and rates alike, so only a relative size
compares across detectors), then by q-value (the Benjamini-Hochberg adjusted p-value).
A finding without a usable baseline value (none, or zero) ranks after those that have
one, by q-value. Findings from detectors that do not test a hypothesis yet (status
``context``, no hypothesis, severity high or medium) are still listed, after the tested
ones of their severity, ranked by the detector's impact, and say they are untested.
Inconclusive findings are never in the top list: they are collapsed in their own section.
The executive summary follows the same ranking.
"""

from __future__ import annotations

import math

from autoforge_learn.findings import Finding, Hypothesis, Severity, Status
from autoforge_learn.report.data import ReportData
from autoforge_learn.suggest.model import Suggestion

_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.INFO: 3}
_ACTION_SEVERITIES = (Severity.HIGH, Severity.MEDIUM)


def adjusted_effect(hypothesis: Hypothesis) -> float:
    """The end of the effect's 95% interval nearest zero (0 when the interval spans zero
    or is unknown): the smallest effect the data support, in the effect's sign."""
    low, high = hypothesis.effect_low, hypothesis.effect_high
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return 0.0
    if low <= 0 <= high:
        return 0.0
    return low if low > 0 else high


def _q(hypothesis: Hypothesis) -> float:
    q = hypothesis.q_value if hypothesis.q_value is not None else hypothesis.p_value
    return q if math.isfinite(q) else 1.0


def relative_effect(f: Finding) -> float | None:
    """The size of the adjusted effect relative to the finding's baseline value
    (``|adjusted effect| / |baseline|``), or None without a hypothesis or a non-zero
    baseline value."""
    h, base = f.hypothesis, f.baseline
    if h is None or base is None or not math.isfinite(base) or base == 0:
        return None
    return abs(adjusted_effect(h)) / abs(base)


def rank_key(f: Finding) -> tuple[int, int, int, float, float, str]:
    """Severity; tested before untested; with a relative effect before without; larger
    relative adjusted effect (untested: impact); smaller q-value; id."""
    band = _SEVERITY_ORDER[f.severity]
    h = f.hypothesis
    if h is not None:
        relative = relative_effect(f)
        if relative is None:
            return (band, 0, 1, 0.0, _q(h), f.id)
        return (band, 0, 0, -relative, _q(h), f.id)
    return (band, 1, 0, -f.impact, 1.0, f.id)


def ranked(findings: list[Finding]) -> list[Finding]:
    """Findings in report order (see :func:`rank_key`)."""
    return sorted(findings, key=rank_key)


def is_action(f: Finding) -> bool:
    """A finding to act on: a high or medium discovery, or a high or medium finding of a
    detector that does not test a hypothesis yet (status context, no hypothesis)."""
    if f.severity not in _ACTION_SEVERITIES:
        return False
    return f.status == Status.DISCOVERY or (f.status == Status.CONTEXT and f.hypothesis is None)


def top_actions(findings: list[Finding]) -> list[Finding]:
    """Every finding to act on, ranked (the report shows the first few as top actions)."""
    return [f for f in ranked(findings) if is_action(f)]


def already_fixed(data: ReportData) -> set[str]:
    """Ids of the discoveries the role's current default version already fixes (the
    suggestion step found so and set them aside): nothing left to act on."""
    return {a.finding_id for a in data.set_aside if str(a.reason) == "already_fixed"}


def open_actions(data: ReportData) -> list[Finding]:
    """The findings to act on (:func:`top_actions`) but those already fixed."""
    fixed = already_fixed(data)
    return [f for f in top_actions(data.findings) if f.id not in fixed]


def inconclusive(findings: list[Finding]) -> list[Finding]:
    return [f for f in ranked(findings) if f.status == Status.INCONCLUSIVE]


def ranked_suggestions(data: ReportData) -> list[Suggestion]:
    """Suggestions in the order of the top action each addresses (the first one it
    addresses); those that address none keep their order after them."""
    position = {f.id: i for i, f in enumerate(open_actions(data))}
    unranked = len(position)

    def key(item: tuple[int, Suggestion]) -> tuple[int, int]:
        index, s = item
        best = min((position[i] for i in s.finding_ids if i in position), default=unranked)
        return (best, index)

    return [s for _, s in sorted(enumerate(data.suggestions), key=key)]
