"""Calibration of stated confidence against outcomes (pattern 7 of 8).

Bins are those of scikit-learn's ``calibration_curve(strategy="uniform")``: ``n_bins``
equal-width bins over [0, 1], each closed on the right (the first also on the left),
so the buckets 0-20, 20-40, ... are ``n_bins=5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autoforge_learn.stats.intervals import wilson_interval


@dataclass(frozen=True)
class CalibrationBin:
    """One confidence bucket.

    Attributes:
        lower: Lower edge (probability, 0-1).
        upper: Upper edge.
        count: Outcomes in the bucket.
        mean_predicted: Mean stated probability in the bucket.
        observed_rate: Share of successes in the bucket.
        interval: Wilson 95% interval of ``observed_rate``.
    """

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class CalibrationResult:
    """Calibration of one set of predictions.

    Attributes:
        bins: The non-empty buckets, lowest first.
        ece: Expected calibration error: sum over buckets of
            ``count / n * |observed_rate - mean_predicted|``.
        brier: Mean squared difference between stated probability and outcome.
        mean_predicted: Mean stated probability.
        observed_rate: Overall success rate.
        n: Number of predictions.
    """

    bins: list[CalibrationBin]
    ece: float
    brier: float
    mean_predicted: float
    observed_rate: float
    n: int

    @property
    def gap(self) -> float:
        """Mean stated probability minus success rate: > 0 is overconfident."""
        return self.mean_predicted - self.observed_rate


def calibration(
    outcomes: Sequence[bool | int] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    *,
    n_bins: int = 5,
) -> CalibrationResult:
    """Bucket predictions, and compute ECE and the Brier score.

    Args:
        outcomes: 1/True for success, 0/False for failure.
        probabilities: Stated probability of success, in [0, 1] (confidence / 100).
        n_bins: Number of equal-width buckets.

    Raises:
        ValueError: On empty input, different lengths, or probabilities outside [0, 1].
    """
    y = np.asarray(outcomes, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("outcomes and probabilities must be 1-d and of the same length")
    if y.size == 0:
        raise ValueError("no predictions to calibrate")
    if p.min() < 0 or p.max() > 1:
        raise ValueError("probabilities must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    totals = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    hits = np.bincount(ids, weights=y, minlength=n_bins)
    bins = []
    ece = 0.0
    for i in range(n_bins):
        count = int(totals[i])
        if count == 0:
            continue
        mean_p = float(sums[i] / count)
        rate = float(hits[i] / count)
        ece += count / y.size * abs(rate - mean_p)
        bins.append(
            CalibrationBin(
                lower=float(edges[i]),
                upper=float(edges[i + 1]),
                count=count,
                mean_predicted=mean_p,
                observed_rate=rate,
                interval=wilson_interval(round(hits[i]), count),
            )
        )
    return CalibrationResult(
        bins=bins,
        ece=float(ece),
        brier=float(np.mean((p - y) ** 2)),
        mean_predicted=float(p.mean()),
        observed_rate=float(y.mean()),
        n=int(y.size),
    )
