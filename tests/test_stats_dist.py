"""The distribution functions of ``stats.dist`` give scipy.stats' numbers exactly."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from autoforge_learn.stats import dist

DFS = [0.5, 1, 1.7, 2, 3, 4.25, 9, 29, 120, 1e6, math.inf, 0, -1, math.nan]
PROBS = [0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.2, 0.5, 0.8, 0.95, 0.975, 0.999,
         1 - 1e-12, 1, -0.1, 1.1, math.nan]
XS = [-math.inf, -1e6, -40, -3.2, -1.96, -0.5, 0.0, 0.3, 1.0, 2.5, 8, 60, 1e6, math.inf,
      math.nan]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("df", DFS)
def test_t_matches_scipy(df: float) -> None:
    for q in PROBS:
        assert same(dist.t_ppf(q, df), float(stats.t.ppf(q, df))), (q, df)
    for x in XS:
        assert same(dist.t_cdf(x, df), float(stats.t.cdf(x, df))), (x, df)
        assert same(dist.t_sf(x, df), float(stats.t.sf(x, df))), (x, df)


def test_norm_matches_scipy() -> None:
    for q in [*PROBS, *np.linspace(0.5, 0.9999, 501)]:
        assert same(dist.norm_ppf(float(q)), float(stats.norm.ppf(q))), q
    xs = np.array([x for x in XS if not math.isnan(x)] + list(np.linspace(-50, 10, 301)))
    assert np.array_equal(dist.norm_logcdf(xs), stats.norm.logcdf(xs))
    for x in XS:
        assert same(float(dist.norm_logcdf(x)), float(stats.norm.logcdf(x))), x


@pytest.mark.parametrize("nc", [0.0, 0.4, 1.5, 3.0, 12.0, 40.0, -2.0, math.nan])
def test_nct_matches_scipy(nc: float) -> None:
    for df in [1, 2, 7, 30, 400, 0, math.nan]:
        for x in XS:
            assert same(dist.nct_cdf(x, df, nc), float(stats.nct.cdf(x, df, nc))), (x, df, nc)
            assert same(dist.nct_sf(x, df, nc), float(stats.nct.sf(x, df, nc))), (x, df, nc)


def test_welch_matches_ttest_ind() -> None:
    rnd = random.Random(3)
    samples = [([1.0, 1.0], [2.0, 2.0]), ([3.0, 3.0, 3.0], [3.0, 3.0]), ([1, 2], [1, 2])]
    for _ in range(400):
        scale = 10 ** rnd.uniform(-3, 5)
        a = [rnd.gauss(0, scale) for _ in range(rnd.randrange(2, 40))]
        b = [rnd.gauss(rnd.uniform(-1, 1) * scale, scale) for _ in range(rnd.randrange(2, 40))]
        samples.append((a, b))
        samples.append(([round(v) for v in a], [round(v) for v in b]))
    for a, b in samples:
        expected = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
        assert same(dist.welch_p(a, b), expected), (a, b)


def test_mean_interval_matches_t_interval() -> None:
    from autoforge_learn.stats import mean_interval

    rnd = random.Random(5)
    for _ in range(200):
        values = [rnd.gauss(50, 10) for _ in range(rnd.randrange(2, 30))]
        arr = np.asarray(values)
        sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
        for confidence in (0.9, 0.95, 0.99):
            low, high = stats.t.interval(confidence, arr.size - 1, loc=float(arr.mean()), scale=sem)
            assert mean_interval(values, confidence=confidence) == (float(low), float(high))
