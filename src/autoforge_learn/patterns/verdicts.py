"""Judging a run's claims together: false discovery control, then severity.

Every finding that makes a claim carries a :class:`~autoforge_learn.findings.Hypothesis`
with a p-value from a test with the project as the unit. The claims of one run are
one family: their p-values are adjusted together with Benjamini-Hochberg
(:func:`~autoforge_learn.stats.multiple.benjamini_hochberg`), so that among the
discoveries reported, the expected share of false ones is at most ``patterns.fdr``.

Then each finding gets its status and severity:

* no hypothesis: ``context``, severity ``info``;
* fewer than ``min_projects`` projects (or a compared group under
  ``min_group_projects``): ``inconclusive``, severity ``low``: listed apart, never
  acted on, whatever its p-value;
* adjusted p-value at most ``fdr``: a ``discovery``, severity ``high`` when the adjusted
  p-value is at most ``high_fdr`` and it rests on ``high_projects`` projects or more,
  else ``medium``;
* otherwise ``not_significant``, severity ``low``.

Each detector's hypothesis already asks for an effect that matters (a rate above the
configured threshold, a version using more than the configured excess), so a discovery
is both real and material.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from autoforge_learn.findings import Finding, Severity, Status

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def judge(findings: Iterable[Finding], settings: PatternSettings) -> list[Finding]:
    """Adjust the p-values of ``findings``' hypotheses as one family and set each
    finding's status and severity (in place); returns the findings."""
    from autoforge_learn.stats.multiple import benjamini_hochberg

    items = list(findings)
    tested = [f for f in items if f.hypothesis is not None]
    adjusted = benjamini_hochberg([f.hypothesis.p_value for f in tested if f.hypothesis])
    for finding, q in zip(tested, adjusted, strict=True):
        assert finding.hypothesis is not None
        finding.hypothesis.q_value = round(float(q), 6)
    for finding in items:
        finding.status, finding.severity = grade(finding, settings)
        finding.thin_evidence = finding.status == Status.INCONCLUSIVE
    return items


def grade(finding: Finding, settings: PatternSettings) -> tuple[Status, Severity]:
    """The status and severity of one judged finding (see the module docstring)."""
    hypothesis = finding.hypothesis
    if hypothesis is None:
        return Status.CONTEXT, Severity.INFO
    if finding.projects < settings.min_projects or (
        hypothesis.projects < settings.min_group_projects
    ):
        return Status.INCONCLUSIVE, Severity.LOW
    q = hypothesis.q_value if hypothesis.q_value is not None else hypothesis.p_value
    if q > settings.fdr:
        return Status.NOT_SIGNIFICANT, Severity.LOW
    if q <= settings.high_fdr and finding.projects >= settings.high_projects:
        return Status.DISCOVERY, Severity.HIGH
    return Status.DISCOVERY, Severity.MEDIUM
