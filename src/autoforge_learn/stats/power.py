"""Power and minimum detectable effect of a two-group comparison of projects.

For a two-sided Welch/Student t-test at level ``alpha`` with ``n1`` and ``n2`` projects,
the power to detect a standardized effect ``d`` (difference / between-project standard
deviation) uses the noncentral t distribution (as statsmodels' ``TTestIndPower``); the
minimum detectable effect is the ``d`` reaching the wanted power.
"""

from __future__ import annotations

import math

from autoforge_learn.stats.dist import nct_cdf, nct_sf, t_ppf


def power_two_sample(d: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Power of a two-sided two-sample t-test to detect standardized effect ``d``."""
    if n1 < 2 or n2 < 2:
        return 0.0
    df = n1 + n2 - 2
    nc = abs(d) * math.sqrt(n1 * n2 / (n1 + n2))
    crit = t_ppf(1 - alpha / 2, df)
    upper = nct_sf(crit, df, nc)
    lower = nct_cdf(-crit, df, nc)
    # far in the tail the noncentral t's distribution function gives NaN: it is 0 there
    return (upper if math.isfinite(upper) else 1.0) + (lower if math.isfinite(lower) else 0.0)


def minimum_detectable_effect(
    n1: int, n2: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The standardized effect ``d`` a two-sided t-test detects with ``power``.

    Returns:
        ``d`` (inf with fewer than two projects a side).
    """
    from scipy import optimize

    if n1 < 2 or n2 < 2:
        return math.inf
    high = 1.0
    while power_two_sample(high, n1, n2, alpha=alpha) < power:
        high *= 2
    return float(
        optimize.brentq(
            lambda d: power_two_sample(d, n1, n2, alpha=alpha) - power, 1e-9, high, xtol=1e-14
        )
    )
