"""Confidence intervals for rates and means."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autoforge_learn.stats.dist import norm_ppf, t_ppf


def wilson_interval(
    successes: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (as statsmodels' ``method="wilson"``).

    Args:
        successes: Number of successes, 0 <= successes <= n.
        n: Number of trials.
        confidence: Coverage of the interval.

    Returns:
        ``(low, high)``, or None when ``n`` is 0.
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}")
    z = norm_ppf(1 - (1 - confidence) / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(
    values: Sequence[float] | np.ndarray, *, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Student-t interval of a mean; None with fewer than two values."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    mean = float(data.mean())
    sem = float(data.std(ddof=1)) / math.sqrt(data.size)
    if sem == 0:
        return mean, mean
    # as scipy's t.interval: each end is the quantile, scaled and shifted
    low = t_ppf((1.0 - confidence) / 2, data.size - 1) * sem + mean
    high = t_ppf((1.0 + confidence) / 2, data.size - 1) * sem + mean
    return float(low), float(high)
