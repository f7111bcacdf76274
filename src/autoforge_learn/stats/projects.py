"""Estimates and comparisons with the project as the unit of analysis.

Gate checks, stage runs and LLM calls inside one project are correlated: a project that
struggles fails many checks. So every estimate here takes one value (or one numerator
and one denominator) *per project*, never per check:

* a ratio metric (failures / checks, retries / runs, tokens / successes) is the ratio of
  the projects' sums, ``R = sum(y) / sum(n)``, with the delta-method variance
  ``sum((y_i - R n_i)^2) / sum(n)^2 * G / (G - 1)`` over the ``G`` projects: the
  cluster-robust (CR0) variance of a per-check mean, with the small-sample factor;
* a continuous metric per project (cost, quality) is the mean of the projects' values.

Intervals use Student's t with ``G - 1`` degrees of freedom and stay in the metric's
range: a share (0-1) gets its interval on the logit scale, a non-negative quantity on
the log scale, each carried back. Two groups of projects are compared with Welch's t on
the per-project linearized values (for a ratio: ``(y_i - R n_i) / mean(n)``), so the
comparison is as valid with 5 projects a side as the per-project data allow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from autoforge_learn.stats.dist import t_cdf, t_ppf, t_sf

Scale = Literal["share", "positive", "real"]
Alternative = Literal["two-sided", "greater", "less"]

ArrayLike = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Estimate:
    """A metric estimated over projects.

    Attributes:
        value: The estimate (a ratio of sums, or a mean of project values).
        se: Its standard error (delta method / between-project variance).
        low: Lower end of the interval (within the metric's range).
        high: Upper end of the interval.
        projects: Projects behind it (the unit of analysis).
        units: Checks, runs or calls behind it (the denominators' sum; projects for a mean).
    """

    value: float
    se: float
    low: float
    high: float
    projects: int
    units: float


@dataclass(frozen=True)
class Comparison:
    """Group A against group B (the baseline), projects as the unit.

    Attributes:
        effect: ``A - B`` on the metric's own scale.
        low: Lower end of the effect's interval.
        high: Upper end.
        se: Standard error of the effect.
        statistic: Welch's t.
        df: Welch-Satterthwaite degrees of freedom.
        p_value: For the alternative asked (``greater``: A above B).
        a: The estimate of group A.
        b: The estimate of group B.
        test: Which test produced the p-value.
    """

    effect: float
    low: float
    high: float
    se: float
    statistic: float
    df: float
    p_value: float
    a: Estimate
    b: Estimate
    test: str


def _t(confidence: float, df: float) -> float:
    return t_ppf(1 - (1 - confidence) / 2, df)


def _interval(value: float, se: float, df: float, scale: Scale, confidence: float) -> tuple[
    float, float
]:
    """A t interval around ``value``, carried through the scale's transform."""
    if not math.isfinite(se) or df <= 0:
        return (0.0, 1.0) if scale == "share" else (-math.inf, math.inf)
    q = _t(confidence, df)
    if scale == "share":
        if value <= 0.0 or value >= 1.0 or se == 0:
            return _boundary_share(value, se, q)
        logit = math.log(value / (1 - value))
        half = q * se / (value * (1 - value))
        return _expit(logit - half), _expit(logit + half)
    if scale == "positive":
        if value <= 0.0 or se == 0:
            return (0.0, max(0.0, value + q * se))
        half = q * se / value
        return value * math.exp(-half), value * math.exp(half)
    return value - q * se, value + q * se


def _boundary_share(value: float, se: float, q: float) -> tuple[float, float]:
    """A share at 0 or 1 (or with no spread): the interval stays on the side it can
    move to, clipped to the range."""
    return max(0.0, value - q * se), min(1.0, value + q * se)


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _pairs(numerators: ArrayLike, denominators: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    if y.shape != n.shape or y.ndim != 1:
        raise ValueError("numerators and denominators: one value each per project")
    keep = n > 0  # a project without a denominator says nothing about the ratio
    return y[keep], n[keep]


def _ratio_parts(y: np.ndarray, n: np.ndarray) -> tuple[float, np.ndarray, float]:
    """The ratio of sums, the per-project linearized values and the variance of R."""
    total = float(n.sum())
    ratio = float(y.sum()) / total
    g = y.size
    linear = (y - ratio * n) / (total / g)
    variance = float((linear**2).sum()) / (g * (g - 1)) if g > 1 else math.inf
    return ratio, linear, variance


def ratio_of_sums(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    scale: Scale = "share",
    confidence: float = 0.95,
) -> Estimate | None:
    """``sum(numerators) / sum(denominators)`` over projects, with its delta-method
    standard error and a t interval in the metric's range.

    Args:
        numerators: One numerator per project (e.g. its failed checks).
        denominators: One denominator per project (e.g. its checks); projects with 0 are
            left out.
        scale: ``share`` (0-1), ``positive`` (>= 0) or ``real``.
        confidence: Coverage of the interval.

    Returns:
        The estimate, or None without any project having a denominator.
    """
    y, n = _pairs(numerators, denominators)
    if y.size == 0:
        return None
    ratio, _linear, variance = _ratio_parts(y, n)
    se = math.sqrt(variance)
    low, high = _interval(ratio, se, y.size - 1, scale, confidence)
    return Estimate(ratio, se, low, high, int(y.size), float(n.sum()))


def project_mean(
    values: ArrayLike, *, scale: Scale = "real", confidence: float = 0.95
) -> Estimate | None:
    """The mean of one value per project, with a t interval in the metric's range.

    Returns:
        The estimate, or None without values (NaN values are left out).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    mean = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else math.inf
    low, high = _interval(mean, se, x.size - 1, scale, confidence)
    return Estimate(mean, se, low, high, int(x.size), float(x.size))


def _welch(
    la: np.ndarray, lb: np.ndarray, va: float, vb: float
) -> tuple[float, float]:
    """Welch-Satterthwaite degrees of freedom and the effect's variance."""
    var = va + vb
    denom = (va**2 / (la.size - 1) if la.size > 1 else math.inf) + (
        vb**2 / (lb.size - 1) if lb.size > 1 else math.inf
    )
    df = var**2 / denom if denom > 0 and math.isfinite(denom) else float(la.size + lb.size - 2)
    return df, var


def _p(statistic: float, df: float, alternative: Alternative) -> float:
    if math.isnan(statistic):
        return 1.0
    if math.isinf(statistic):  # no spread at all: the data are all on one side
        if alternative == "greater":
            return 0.0 if statistic > 0 else 1.0
        if alternative == "less":
            return 0.0 if statistic < 0 else 1.0
        return 0.0
    if alternative == "greater":
        return t_sf(statistic, df)
    if alternative == "less":
        return t_cdf(statistic, df)
    return 2 * t_sf(abs(statistic), df)


def _compare(
    a: Estimate,
    b: Estimate,
    linear_a: np.ndarray,
    linear_b: np.ndarray,
    *,
    alternative: Alternative,
    confidence: float,
    test: str,
) -> Comparison:
    df, var = _welch(linear_a, linear_b, a.se**2, b.se**2)
    effect = a.value - b.value
    se = math.sqrt(var)
    if se > 0:
        statistic = effect / se
    else:
        statistic = 0.0 if effect == 0 else math.copysign(math.inf, effect)
    q = _t(confidence, df)
    return Comparison(
        effect=effect,
        low=effect - q * se,
        high=effect + q * se,
        se=se,
        statistic=statistic,
        df=df,
        p_value=_p(statistic, df, alternative),
        a=a,
        b=b,
        test=test,
    )


def compare_ratios(
    numerators_a: ArrayLike,
    denominators_a: ArrayLike,
    numerators_b: ArrayLike,
    denominators_b: ArrayLike,
    *,
    scale: Scale = "share",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
) -> Comparison | None:
    """Ratio of sums in projects A against projects B: Welch's t on the per-project
    linearized values (the delta method), with Welch-Satterthwaite degrees of freedom.

    Returns:
        The comparison, or None when either side has fewer than two projects with a
        denominator (no between-project variance: nothing can be said).
    """
    ya, na = _pairs(numerators_a, denominators_a)
    yb, nb = _pairs(numerators_b, denominators_b)
    if ya.size < 2 or yb.size < 2:
        return None
    ra, la, va = _ratio_parts(ya, na)
    rb, lb, vb = _ratio_parts(yb, nb)
    a = ratio_of_sums(ya, na, scale=scale, confidence=confidence)
    b = ratio_of_sums(yb, nb, scale=scale, confidence=confidence)
    assert a is not None and b is not None
    return _compare(
        a, b, la, lb, alternative=alternative, confidence=confidence,
        test="Welch t on per-project linearized ratios (delta method)",
    )


def compare_means(
    values_a: ArrayLike,
    values_b: ArrayLike,
    *,
    scale: Scale = "real",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
) -> Comparison | None:
    """Mean of per-project values in A against B: Welch's t (as
    ``scipy.stats.ttest_ind(equal_var=False)``).

    Returns:
        The comparison, or None when either side has fewer than two projects.
    """
    xa = np.asarray(values_a, dtype=float)
    xb = np.asarray(values_b, dtype=float)
    xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    if xa.size < 2 or xb.size < 2:
        return None
    a = project_mean(xa, scale=scale, confidence=confidence)
    b = project_mean(xb, scale=scale, confidence=confidence)
    assert a is not None and b is not None
    return _compare(
        a, b, xa - xa.mean(), xb - xb.mean(), alternative=alternative,
        confidence=confidence, test="Welch t on per-project values",
    )


@dataclass(frozen=True)
class ThresholdTest:
    """An estimate tested against a fixed value, projects as the unit.

    Attributes:
        estimate: The estimate.
        threshold: The value it is tested against.
        statistic: Student's t of ``(value - threshold) / se`` with ``projects - 1`` df.
        p_value: For the alternative asked (``greater``: above the threshold).
        test: Which test produced the p-value.
    """

    estimate: Estimate
    threshold: float
    statistic: float
    p_value: float
    test: str


def against_threshold(
    estimate: Estimate, threshold: float, *, alternative: Alternative = "greater"
) -> ThresholdTest | None:
    """Test an estimate against a fixed value with Student's t on ``projects - 1``
    degrees of freedom (for a ratio of sums: the one-sample t on the per-project
    linearized values; for a mean: ``scipy.stats.ttest_1samp``).

    Returns:
        The test, or None with fewer than two projects.
    """
    if estimate.projects < 2:
        return None
    diff = estimate.value - threshold
    if estimate.se > 0:
        statistic = diff / estimate.se
    else:
        statistic = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return ThresholdTest(
        estimate=estimate,
        threshold=threshold,
        statistic=statistic,
        p_value=_p(statistic, estimate.projects - 1, alternative),
        test="one-sample t over projects",
    )
