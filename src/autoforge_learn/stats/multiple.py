"""Corrections for testing many hypotheses at once.

A training run asks dozens of questions of the same data (is this cause concentrated in
that version? is this version wasteful? ...). Reported one by one at p < 0.05, about one
in twenty true nulls would look like a finding. :func:`benjamini_hochberg` controls the
false discovery rate across all of a run's hypotheses; :func:`holm` controls the
family-wise error rate across an experiment's secondary metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _checked(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values: a flat sequence")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be numbers between 0 and 1")
    return p


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input's order: a
    hypothesis is a discovery at false discovery rate ``alpha`` when its q <= alpha
    (as statsmodels' ``multipletests(method="fdr_bh")``)."""
    p = _checked(p_values)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input's order (as statsmodels'
    ``multipletests(method="holm")``)."""
    p = _checked(p_values)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * (m - np.arange(m))
    adjusted = np.maximum.accumulate(np.minimum(ranked, 1.0))
    out = np.empty(m)
    out[order] = adjusted
    return out
