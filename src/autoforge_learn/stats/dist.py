"""Student's t, the normal and the noncentral t distributions, and Welch's test, as
``scipy.stats`` computes them, without importing ``scipy.stats``.

``scipy.stats`` evaluates these with the special functions of ``scipy.special``
(``stdtr``, ``stdtrit``, ``ndtri``, ``log_ndtr``, ``nctdtr``, ``_nct_sf``); calling them
directly gives the same numbers (the tests compare both) for a third of the import time
(``import scipy.stats`` alone took about a second of every ``autoforge train``) and none
of the per-call checks. The edge cases (a probability of 0 or 1, an infinite value,
invalid degrees of freedom) are answered as ``scipy.stats`` answers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def _special() -> Any:
    import scipy.special

    return scipy.special


def _bad(*values: float) -> bool:
    return any(math.isnan(v) for v in values)


def t_ppf(q: float, df: float) -> float:
    """Quantile ``q`` of Student's t with ``df`` degrees of freedom (``stats.t.ppf``)."""
    if _bad(q, df) or not df > 0 or not 0 <= q <= 1:
        return math.nan
    if q == 0:
        return -math.inf
    if q == 1:
        return math.inf
    return float(_special().stdtrit(df, q))


def t_cdf(x: float, df: float) -> float:
    """``P(T <= x)`` for Student's t with ``df`` degrees of freedom (``stats.t.cdf``)."""
    if _bad(x, df) or not df > 0:
        return math.nan
    if math.isinf(x):
        return 1.0 if x > 0 else 0.0
    return float(_special().stdtr(df, x))


def t_sf(x: float, df: float) -> float:
    """``P(T > x)`` for Student's t with ``df`` degrees of freedom (``stats.t.sf``):
    ``P(T <= -x)``, as the distribution is symmetric (``stats.t.sf`` computes it so)."""
    return t_cdf(-x, df)


def norm_ppf(q: float) -> float:
    """Quantile ``q`` of the standard normal (``stats.norm.ppf``)."""
    if math.isnan(q) or not 0 <= q <= 1:
        return math.nan
    if q == 0:
        return -math.inf
    if q == 1:
        return math.inf
    return float(_special().ndtri(q))


def norm_logcdf(x: Any) -> Any:
    """Log of the standard normal's distribution function, of a number or an array
    (``stats.norm.logcdf``)."""
    return _special().log_ndtr(np.asarray(x, dtype=float))[()]


def nct_cdf(x: float, df: float, nc: float) -> float:
    """``P(T <= x)`` for the noncentral t (``stats.nct.cdf``)."""
    if _bad(x, df, nc) or not df > 0:
        return math.nan
    if math.isinf(x):
        return 1.0 if x > 0 else 0.0
    return float(_special().nctdtr(df, nc, x))


def nct_sf(x: float, df: float, nc: float) -> float:
    """``P(T > x)`` for the noncentral t (``stats.nct.sf``)."""
    if _bad(x, df, nc) or not df > 0:
        return math.nan
    if math.isinf(x):
        return 0.0 if x > 0 else 1.0
    from scipy.special import _ufuncs

    with np.errstate(over="ignore"):  # as scipy.stats: large arguments overflow harmlessly
        return float(np.clip(_ufuncs._nct_sf(x, df, nc), 0, 1))


def welch_p(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of Welch's t-test (``stats.ttest_ind(a, b, equal_var=False)``
    on samples without NaN, each of at least two values), computed in the same steps."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    n1, n2 = x.size, y.size
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m2 = x.mean(), y.mean()
        v1 = np.mean((x - m1) ** 2) * (np.float64(n1) / np.float64(n1 - 1))
        v2 = np.mean((y - m2) ** 2) * (np.float64(n2) / np.float64(n2 - 1))
        vn1, vn2 = v1 / n1, v2 / n2
        df = (vn1 + vn2) ** 2 / (vn1**2 / (n1 - 1) + vn2**2 / (n2 - 1))
        df = np.float64(1.0) if np.isnan(df) else df  # no spread: any df will do
        t = np.divide(m1 - m2, np.sqrt(vn1 + vn2))
    return float(2 * _special().stdtr(df, -np.abs(t)))
