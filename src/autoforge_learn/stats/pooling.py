"""Partial pooling of group estimates (empirical Bayes, normal-normal).

Per-version, per-segment and per-strategy rates rest on few projects each; the most
extreme of many small groups is mostly noise. Each group's estimate (on a scale where it
is roughly normal, with its project-level standard error) is shrunk towards the
precision-weighted mean of all groups by ``w = tau^2 / (tau^2 + se^2)``, where the
between-group variance ``tau^2`` is the DerSimonian-Laird estimate (as statsmodels'
``combine_effects(method_re="dl")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pooled:
    """Shrunk group estimates.

    Attributes:
        estimates: Each group's shrunk estimate, in the input's order.
        weights: How much of its own estimate each group keeps (0-1).
        mean: The precision-weighted mean the groups shrink towards.
        tau2: The between-group variance (0: the groups do not differ beyond noise).
    """

    estimates: np.ndarray
    weights: np.ndarray
    mean: float
    tau2: float


def dersimonian_laird_tau2(estimates: np.ndarray, variances: np.ndarray) -> float:
    """The DerSimonian-Laird estimate of the between-group variance."""
    w = 1.0 / variances
    mean = float((w * estimates).sum() / w.sum())
    q = float((w * (estimates - mean) ** 2).sum())
    c = float(w.sum() - (w**2).sum() / w.sum())
    return max(0.0, (q - (estimates.size - 1)) / c) if c > 0 else 0.0


def partial_pool(
    estimates: Sequence[float] | np.ndarray, standard_errors: Sequence[float] | np.ndarray
) -> Pooled:
    """Shrink group estimates towards their precision-weighted mean.

    Args:
        estimates: One estimate per group (on a roughly normal scale, e.g. logit).
        standard_errors: Their standard errors (> 0).

    Raises:
        ValueError: Without groups, or with a standard error that is not positive.
    """
    y = np.asarray(estimates, dtype=float)
    se = np.asarray(standard_errors, dtype=float)
    if y.size == 0 or y.shape != se.shape:
        raise ValueError("one standard error per estimate, at least one group")
    if np.any(~np.isfinite(se)) or np.any(se <= 0):
        raise ValueError("standard errors must be positive numbers")
    variances = se**2
    tau2 = dersimonian_laird_tau2(y, variances) if y.size > 1 else 0.0
    w_re = 1.0 / (variances + tau2)
    mean = float((w_re * y).sum() / w_re.sum())
    keep = tau2 / (tau2 + variances)
    return Pooled(estimates=keep * y + (1 - keep) * mean, weights=keep, mean=mean, tau2=tau2)
