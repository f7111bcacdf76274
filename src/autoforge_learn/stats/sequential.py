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
from scipy import stats


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
        + stats.norm.logcdf(-b * np.sqrt(a))
    )
    return np.exp(np.minimum(log_e, 700.0))


def always_valid_p(e_values: Sequence[float] | np.ndarray) -> float:
    """``min(1, 1 / max e)``: the p-value valid whenever the stream is looked at."""
    e = np.asarray(e_values, dtype=float)
    if e.size == 0:
        return 1.0
    return float(min(1.0, 1.0 / max(1.0, float(e.max()))))
