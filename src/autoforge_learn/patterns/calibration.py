"""Pattern 7 of 8: confidence calibration.

The *stated confidence* is a stage execution's ``confidence`` (0-100); its *outcome*
is success when the stage succeeded with every gate passing on its first check (no
failed check and no retry in that execution; an execution without gate checks is left
out). Per role: buckets identical to scikit-learn's ``calibration_curve`` (uniform,
``n_bins`` = 5 gives the buckets 0-20, ..., 80-100) with a Wilson interval each, ECE and
Brier from :func:`autoforge_learn.stats.calibration`.

``gap`` = mean stated confidence - success rate, in points: > 0 is overconfident; over
projects (the per-project sums of ``confidence - success`` over their runs), with its
interval. The claim: the role is off by more than ``gap_points`` in the direction
observed, tested over projects (one-sided, the p-value doubled for choosing the
direction after looking). Impact = ``|gap| * n`` (expected surprises).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import (
    CalibrationBucket,
    CalibrationEvidence,
    Example,
    Finding,
    Hypothesis,
    Pattern,
    Severity,
)
from autoforge_learn.patterns.claims import estimate, per_project, versus_threshold
from autoforge_learn.patterns.common import r
from autoforge_learn.stats.projects import Estimate

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_calibration(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 7, one per role."""
    runs = data.runs
    if runs.empty:
        return []
    runs = runs[runs["confidence"].notna() & (runs["checks"] > 0)]
    findings = []
    for role, group in runs.groupby("agent_role", sort=True):
        finding = _role_finding(str(role), group, settings)
        if finding is not None:
            findings.append(finding)
    return sorted(findings, key=lambda f: -f.impact)


def _gap_claim(
    group: Any, limit: float, role: str
) -> tuple[Estimate | None, Hypothesis | None]:
    """The gap (stated confidence - first-time success) over projects, tested against
    ``limit`` in its own direction (the one-sided p-value doubled for picking it)."""
    confidence = group["confidence"].astype(float).clip(0, 100) / 100
    success = group["all_first_pass"].astype(float)
    counts = per_project(group, confidence - success)
    est = estimate(counts, scale="real")
    if est is None:
        return None, None
    over = est.value >= 0
    word = "overconfident" if over else "underconfident"
    _, hypothesis = versus_threshold(
        counts,
        limit if over else -limit,
        claim=f"{role} is {word} by more than {limit * 100:g} points",
        scale="real",
        alternative="greater" if over else "less",
    )
    if hypothesis is not None:
        hypothesis = replace(hypothesis, p_value=min(1.0, 2 * hypothesis.p_value))
    return est, hypothesis


def _role_finding(role: str, group: Any, settings: PatternSettings) -> Finding | None:
    from autoforge_learn.stats import calibration

    opts = settings.confidence_calibration
    est, hypothesis = _gap_claim(group, opts.gap_points / 100, role)
    if est is None:
        return None
    y = group["all_first_pass"].astype(int).to_numpy()
    p = (group["confidence"].astype(float).clip(0, 100) / 100).to_numpy()
    result = calibration(y, p, n_bins=opts.n_bins)
    gap, n = est.value, len(y)
    direction = "overconfident" if gap > 0 else "underconfident"
    misses = group[(group["all_first_pass"] == (gap < 0))]
    misses = misses.sort_values("confidence", ascending=gap < 0).head(5)
    return Finding(
        pattern=Pattern.CONFIDENCE_CALIBRATION,
        key={"agent_role": role},
        title=(f"{role}: states {result.mean_predicted:.0%} confidence, succeeds "
               f"{result.observed_rate:.0%} ({direction} by {abs(gap) * 100:.0f} points; "
               f"ECE {result.ece:.2f}; {est.projects} projects)"),
        severity=Severity.LOW,
        metric="calibration_gap",
        value=r(gap * 100, 2) or 0.0,
        interval=(None if not (math.isfinite(est.low) and math.isfinite(est.high))
                  else (round(est.low * 100, 2), round(est.high * 100, 2))),
        sample_size=n,
        threshold=opts.gap_points,
        baseline=0.0,
        impact=r(abs(gap) * n, 2) or 0.0,
        agent_role=role,
        prompt_version=(str(group["prompt_version"].mode().iloc[0])
                        if group["prompt_version"].notna().any() else None),
        evidence=CalibrationEvidence(
            ece=r(result.ece),
            brier=r(result.brier),
            mean_confidence=r(result.mean_predicted * 100, 2),
            success_rate=r(result.observed_rate),
            gap=r(gap * 100, 2),
            direction=direction,
            buckets=[
                CalibrationBucket(
                    lower=r(b.lower), upper=r(b.upper), count=b.count,
                    mean_predicted=r(b.mean_predicted), observed_rate=r(b.observed_rate),
                    interval=[r(x) for x in b.interval] if b.interval else None,
                )
                for b in result.bins
            ],
        ),
        examples=[Example(event_id=str(row.event_id), project_id=str(row.project_id),
                          text=f"confidence {row.confidence:g}, "
                               f"{'passed first time' if row.all_first_pass else 'failed'}")
                  for row in misses.itertuples(index=False)],
        hypothesis=hypothesis,
        projects=est.projects,
    )
