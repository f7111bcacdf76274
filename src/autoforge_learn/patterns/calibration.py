"""Pattern 7: confidence calibration (spec 4.1).

The *stated confidence* is a stage execution's ``confidence`` (0-100); its *outcome*
is success when the stage succeeded with every gate passing on its first check (no
failed check and no retry in that execution; an execution without gate checks is left
out). Per role: buckets identical to scikit-learn's ``calibration_curve`` (uniform,
``n_bins`` = 5 gives the spec's 0-20, ..., 80-100) with a Wilson interval each, ECE and
Brier from :func:`autoforge_learn.stats.calibration`.

``gap`` = mean stated confidence - success rate, in points: > 0 is overconfident.
Severity: ``high`` when ``|gap| > gap_points`` and the success rate's Wilson interval
lies wholly beyond ``gap_points`` from the mean confidence, ``medium`` when only
``|gap| > gap_points``, or when the ECE exceeds ``ece`` and the interval excludes the
mean confidence (a significant gap, e.g. one that clipping at 99 shrank), else ``low``.
Impact = ``|gap| * n`` (expected surprises).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import (
    CalibrationBucket,
    CalibrationEvidence,
    Example,
    Finding,
    Pattern,
    Severity,
)
from autoforge_learn.patterns.common import r, thin

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_calibration(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 7, one per role."""
    from autoforge_learn.stats import calibration, wilson_interval

    opts = settings.confidence_calibration
    limit = opts.gap_points / 100
    runs = data.runs
    if runs.empty:
        return []
    runs = runs[runs["confidence"].notna() & (runs["checks"] > 0)]
    findings = []
    for role, group in runs.groupby("agent_role", sort=True):
        y = group["all_first_pass"].astype(int).to_numpy()
        p = (group["confidence"].astype(float).clip(0, 100) / 100).to_numpy()
        result = calibration(y, p, n_bins=opts.n_bins)
        gap = result.gap
        k, n = int(y.sum()), len(y)
        low, high = wilson_interval(k, n) or (0.0, 1.0)
        severity = Severity.LOW
        significant = result.mean_predicted > high or result.mean_predicted < low
        if abs(gap) > limit:
            sure = (result.mean_predicted - high > limit) if gap > 0 else (
                low - result.mean_predicted > limit)
            severity = Severity.HIGH if sure else Severity.MEDIUM
        elif significant and result.ece > opts.ece:
            severity = Severity.MEDIUM
        direction = "overconfident" if gap > 0 else "underconfident"
        misses = group[(group["all_first_pass"] == (gap < 0))]
        misses = misses.sort_values("confidence", ascending=gap < 0).head(5)
        findings.append(Finding(
            pattern=Pattern.CONFIDENCE_CALIBRATION,
            key={"agent_role": str(role)},
            title=(f"{role}: states {result.mean_predicted:.0%} confidence, succeeds "
                   f"{result.observed_rate:.0%} ({direction} by {abs(gap) * 100:.0f} points; "
                   f"ECE {result.ece:.2f})"),
            severity=severity,
            metric="calibration_gap",
            value=r(gap * 100, 2) or 0.0,
            interval=(r((result.mean_predicted - high) * 100, 2) or 0.0,
                      r((result.mean_predicted - low) * 100, 2) or 0.0),
            sample_size=n,
            threshold=opts.gap_points,
            baseline=0.0,
            impact=r(abs(gap) * n, 2) or 0.0,
            thin_evidence=thin(n, settings),
            agent_role=str(role),
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
        ))
    return sorted(findings, key=lambda f: -f.impact)
