"""The detectors' claims as tests with the project as the unit.

Each detector groups its rows (gate checks, stage runs, decisions...) by project before
anything is estimated: :func:`per_project` turns a frame and a per-row numerator (and
denominator) into one pair per project, and the helpers below test them with the
statistics core (:mod:`autoforge_learn.stats.projects`) and wrap the result as the
finding's :class:`~autoforge_learn.findings.Hypothesis`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from autoforge_learn.findings import Hypothesis
from autoforge_learn.stats.projects import (
    Alternative,
    Comparison,
    Estimate,
    Scale,
    against_threshold,
    compare_ratios,
    ratio_of_sums,
)


@dataclass(frozen=True)
class ProjectCounts:
    """One numerator and one denominator per project."""

    projects: np.ndarray
    numerators: np.ndarray
    denominators: np.ndarray

    @property
    def size(self) -> int:
        return int(self.projects.size)

    def only(self, keep: np.ndarray) -> ProjectCounts:
        """The projects where ``keep`` is true."""
        return ProjectCounts(self.projects[keep], self.numerators[keep], self.denominators[keep])


def per_project(frame: Any, numerator: Any, denominator: Any | None = None) -> ProjectCounts:
    """Sum ``numerator`` (and ``denominator``, default one per row) per project.

    Args:
        frame: Rows with a ``project_id`` column.
        numerator: One value per row (a boolean counts as 0/1).
        denominator: One value per row, or None to count the rows.
    """
    import pandas as pd

    codes, projects = pd.factorize(np.asarray(frame["project_id"], dtype=object), sort=True)
    size = len(projects)
    num = np.bincount(codes, weights=np.asarray(numerator, dtype=float), minlength=size)
    if denominator is None:
        den = np.bincount(codes, minlength=size).astype(float)
    else:
        den = np.bincount(codes, weights=np.asarray(denominator, dtype=float), minlength=size)
    return ProjectCounts(np.asarray(projects, dtype=object), num, den)


def estimate(counts: ProjectCounts, *, scale: Scale = "share") -> Estimate | None:
    """The ratio of sums over the projects."""
    return ratio_of_sums(counts.numerators, counts.denominators, scale=scale)


def versus_threshold(
    counts: ProjectCounts,
    threshold: float,
    *,
    claim: str,
    scale: Scale = "share",
    alternative: Alternative = "greater",
) -> tuple[Estimate | None, Hypothesis | None]:
    """The ratio of sums and the hypothesis that it lies beyond ``threshold``."""
    est = estimate(counts, scale=scale)
    if est is None:
        return None, None
    test = against_threshold(est, threshold, alternative=alternative)
    if test is None:  # one project: a claim that cannot be tested is inconclusive
        return est, untestable(claim, est.value - threshold, f"threshold {threshold:g}", 1)
    q = _t_quantile(est.projects - 1)
    return est, Hypothesis(
        detectable=_detectable(est.se, est.projects - 1, alternative),
        claim=claim,
        test=f"{test.test} (ratio of per-project sums, delta method)",
        p_value=_clean_p(test.p_value),
        effect=_r(est.value - threshold),
        effect_low=_r(est.value - threshold - q * est.se),
        effect_high=_r(est.value - threshold + q * est.se),
        baseline=f"threshold {threshold:g}",
        projects=est.projects,
    )


def versus_group(
    group: ProjectCounts,
    baseline: ProjectCounts,
    *,
    claim: str,
    baseline_name: str,
    scale: Scale = "share",
    alternative: Alternative = "greater",
    baseline_factor: float = 1.0,
) -> tuple[Comparison | None, Hypothesis | None]:
    """Group against baseline projects (ratio of sums each side), and the hypothesis.

    ``baseline_factor`` scales the baseline's numerators: ``1.2`` tests "more than 20%
    above the baseline".
    """
    cmp = compare_ratios(
        group.numerators,
        group.denominators,
        baseline.numerators * baseline_factor,
        baseline.denominators,
        scale=scale,
        alternative=alternative,
    )
    if cmp is None:  # fewer than two projects on a side: inconclusive
        return None, untestable(claim, 0.0, baseline_name, min(group.size, baseline.size))
    return cmp, Hypothesis(
        detectable=_detectable(cmp.se, cmp.df, alternative),
        claim=claim,
        test=cmp.test,
        p_value=_clean_p(cmp.p_value),
        effect=_r(cmp.effect),
        effect_low=_r(cmp.low),
        effect_high=_r(cmp.high),
        baseline=baseline_name,
        projects=min(cmp.a.projects, cmp.b.projects),
    )


def untestable(claim: str, effect: float, baseline: str, projects: int) -> Hypothesis:
    """A claim too few projects stand behind to test (p = 1, no interval): the judge
    marks its finding inconclusive."""
    return Hypothesis(
        claim=claim, test="not testable: fewer than two projects", p_value=1.0,
        effect=_r(effect), effect_low=None, effect_high=None, baseline=baseline,
        projects=projects,
    )


def interval(est: Estimate, digits: int = 4) -> tuple[float, float] | None:
    """An estimate's interval for a finding, None when it is not finite."""
    if not (math.isfinite(est.low) and math.isfinite(est.high)):
        return None
    return round(est.low, digits), round(est.high, digits)


def _detectable(se: float, df: float, alternative: Alternative, *, alpha: float = 0.05,
                power: float = 0.8) -> float | None:
    """The effect detected with ``power`` at level ``alpha``: ``(t_alpha + t_power) * se``
    (the usual normal-theory approximation with Student's t quantiles)."""
    from autoforge_learn.stats.dist import t_ppf

    if not (math.isfinite(se) and df > 0):
        return None
    level = alpha if alternative != "two-sided" else alpha / 2
    return _r(float((t_ppf(1 - level, df) + t_ppf(power, df)) * se))


def _t_quantile(df: int) -> float:
    from autoforge_learn.stats.dist import t_ppf

    return t_ppf(0.975, df) if df > 0 else math.inf


def _clean_p(p: float) -> float:
    return 1.0 if not math.isfinite(p) else min(1.0, max(0.0, float(p)))


def _r(value: float) -> float:
    return round(value, 6) if math.isfinite(value) else value
