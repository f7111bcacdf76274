"""Tests that stay valid when the data are looked at again and again.

``autoforge train`` runs every week on a growing store: a test at level alpha repeated
at every run would, sooner or later, reject a true null. A *mixture sequential
probability ratio* gives an always-valid p-value instead: for a stream of observations
``x_1, x_2, ...`` with known standard deviation ``sigma``, the likelihood ratio of a
drift ``theta`` against none, averaged over a prior on ``theta``, is a nonnegative
martingale under the null; by Ville's inequality it exceeds ``1 / alpha`` at ANY time
with probability at most alpha. So ``p_n = min(1, 1 / max_{k <= n} e_k)`` may be read
after every observation.

Here the alternative is a drop (``theta < 0``) and the prior a half-normal of scale
``tau``, which gives the closed form

    e_n = 2 / (tau * sqrt(a)) * exp(a b^2 / 2) * Phi(-b sqrt(a)),
    a = n / sigma^2 + 1 / tau^2,  b = (S_n / sigma^2) / a,

with ``S_n`` the sum of the observations. It is a supermartingale for every drift
``theta >= 0`` too, so the null "no drop" may be composite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autoforge_learn.stats.dist import norm_logcdf


def drop_e_values(
    values: Sequence[float] | np.ndarray, *, sigma: float, tau: float
) -> np.ndarray:
    """The mixture likelihood ratio (e-value) after each observation, for a drop below
    zero of a stream with standard deviation ``sigma`` (mixture scale ``tau``)."""
    x = np.asarray(values, dtype=float)
    if sigma <= 0 or tau <= 0:
        raise ValueError("sigma and tau must be positive")
    n = np.arange(1, x.size + 1)
    s = np.cumsum(x)
    a = n / sigma**2 + 1 / tau**2
    b = (s / sigma**2) / a
    log_e = (
        math.log(2.0)
        - math.log(tau)
        - 0.5 * np.log(a)
        + 0.5 * a * b**2
        + norm_logcdf(-b * np.sqrt(a))
    )
    return np.exp(np.minimum(log_e, 700.0))


def always_valid_p(e_values: Sequence[float] | np.ndarray) -> float:
    """``min(1, 1 / max e)``: the p-value valid whenever the stream is looked at."""
    e = np.asarray(e_values, dtype=float)
    if e.size == 0:
        return 1.0
    return float(min(1.0, 1.0 / max(1.0, float(e.max()))))


def mixture_e_value(estimate: float, variance: float, *, tau: float) -> float:
    """The two-sided normal-mixture likelihood ratio for an estimate of a difference
    with the given variance (mixture ``N(0, tau^2)`` over the true difference):
    ``sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))``. For sums of
    independent observations (an estimate whose information grows as data arrive) it is
    a nonnegative martingale under "no difference", so it can be checked at every look.
    """
    if variance <= 0 or tau <= 0:
        raise ValueError("variance and tau must be positive")
    total = variance + tau**2
    log_e = 0.5 * math.log(variance / total) + tau**2 * estimate**2 / (2 * variance * total)
    return math.exp(min(log_e, 700.0))


def confidence_sequence(
    estimate: float, variance: float, *, tau: float, alpha: float = 0.05
) -> tuple[float, float]:
    """The always-valid interval of the difference at this look: every true difference
    outside it has been rejected by the mixture test at level ``alpha``."""
    total = variance + tau**2
    radius = math.sqrt(variance * total / tau**2 * (math.log(total / variance)
                                                     + 2 * math.log(1 / alpha)))
    return estimate - radius, estimate + radius


def rise_e_value(estimate: float, variance: float, *, tau: float) -> float:
    """The one-sided normal-mixture likelihood ratio for a rise above zero of a
    difference estimated with the given variance (half-normal mixture of scale ``tau``
    over the rise): ``2 / (tau sqrt(a)) exp(a b^2 / 2) Phi(b sqrt(a))`` with
    ``a = 1/V + 1/tau^2`` and ``b = (d/V) / a``. A supermartingale under every
    "no rise" (a true difference at or below zero), so it may be checked at every look.
    """
    if variance <= 0 or tau <= 0:
        raise ValueError("variance and tau must be positive")
    a = 1 / variance + 1 / tau**2
    b = (estimate / variance) / a
    log_e = (math.log(2.0) - math.log(tau) - 0.5 * math.log(a) + 0.5 * a * b**2
             + float(norm_logcdf(b * math.sqrt(a))))
    return math.exp(min(log_e, 700.0))
