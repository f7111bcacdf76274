"""The statistics core against references (statsmodels, scipy) and by simulation:
the project is the unit, intervals stay in range, nulls give at most alpha."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import tt_ind_solve_power

from autoforge_learn.stats.multiple import benjamini_hochberg, holm
from autoforge_learn.stats.pooling import partial_pool
from autoforge_learn.stats.power import minimum_detectable_effect, power_two_sample
from autoforge_learn.stats.projects import (
    against_threshold,
    compare_means,
    compare_ratios,
    project_mean,
    ratio_of_sums,
)


def _clustered(rng: np.random.Generator, projects: int, checks: int, p: float, icc: float):
    """Per-project (failures, checks) with a beta-distributed project rate: the
    intra-project correlation of a check's outcome is ``icc``."""
    strength = (1 - icc) / icc
    rates = rng.beta(p * strength, (1 - p) * strength, size=projects)
    n = rng.integers(max(2, checks // 2), checks * 3 // 2 + 1, size=projects)
    return rng.binomial(n, rates), n


def _cr0(y_checks: np.ndarray, groups: np.ndarray) -> float:
    """statsmodels' cluster-robust variance (CR0, no correction) of a per-check mean."""
    model = sm.OLS(y_checks, np.ones_like(y_checks, dtype=float))
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    return float(fit.cov_params()[0, 0])


def _checks(y: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pieces = [np.r_[np.ones(k), np.zeros(m - k)] for k, m in zip(y, n, strict=True)]
    outcomes = np.concatenate(pieces)
    groups = np.repeat(np.arange(y.size), n)
    return outcomes, groups


@pytest.mark.parametrize("seed", range(6))
def test_ratio_variance_is_the_cluster_robust_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y, n = _clustered(rng, projects=4 + seed * 3, checks=30, p=0.3, icc=0.2)
    est = ratio_of_sums(y, n)
    outcomes, groups = _checks(y, n)
    g = y.size
    assert est.value == pytest.approx(outcomes.mean(), abs=1e-12)
    assert est.se**2 == pytest.approx(_cr0(outcomes, groups) * g / (g - 1), rel=1e-9)
    assert est.projects == g and est.units == n.sum()


@pytest.mark.parametrize("seed", range(6))
def test_ratio_comparison_is_the_sum_of_the_groups_variances(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    ya, na = _clustered(rng, 5 + seed, 40, 0.25, 0.15)
    yb, nb = _clustered(rng, 7, 40, 0.35, 0.15)
    cmp = compare_ratios(ya, na, yb, nb)
    va = _cr0(*_checks(ya, na)) * ya.size / (ya.size - 1)
    vb = _cr0(*_checks(yb, nb)) * yb.size / (yb.size - 1)
    assert cmp.se**2 == pytest.approx(va + vb, rel=1e-9)
    assert cmp.effect == pytest.approx(ya.sum() / na.sum() - yb.sum() / nb.sum(), abs=1e-12)
    df = (va + vb) ** 2 / (va**2 / (ya.size - 1) + vb**2 / (yb.size - 1))
    assert cmp.df == pytest.approx(df, rel=1e-9)
    t = cmp.effect / np.sqrt(va + vb)
    assert cmp.p_value == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_means_are_scipy_welch(seed: int, alternative: str) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(1, 0.6, size=4 + seed)
    b = rng.lognormal(1.3, 0.9, size=6)
    ref = stats.ttest_ind(a, b, equal_var=False, alternative=alternative)
    cmp = compare_means(a, b, alternative=alternative)
    assert cmp.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert cmp.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert cmp.df == pytest.approx(ref.df, rel=1e-10)
    low, high = ref.confidence_interval(0.95)
    if alternative == "two-sided":
        assert (cmp.low, cmp.high) == pytest.approx((low, high), rel=1e-10)


def test_duplicating_every_check_of_a_project_leaves_the_answer_unchanged() -> None:
    rng = np.random.default_rng(3)
    ya, na = _clustered(rng, 6, 50, 0.2, 0.14)
    yb, nb = _clustered(rng, 6, 50, 0.3, 0.14)
    once = compare_ratios(ya, na, yb, nb)
    twice = compare_ratios(ya * 2, na * 2, yb, nb)
    assert twice.p_value == pytest.approx(once.p_value, rel=1e-12)
    assert twice.effect == pytest.approx(once.effect, rel=1e-12)


def test_intervals_stay_in_the_metric_s_range() -> None:
    share = ratio_of_sums([0, 1, 0], [10, 12, 9])
    assert 0.0 <= share.low <= share.value <= share.high <= 1.0
    none = ratio_of_sums([0, 0, 0], [5, 5, 5])
    assert none.value == 0.0 and none.low == 0.0 and none.high == 0.0
    all_failed = ratio_of_sums([5, 4], [5, 4])
    assert all_failed.high == 1.0
    tokens = ratio_of_sums([100, 5000, 300], [1, 2, 1], scale="positive")
    assert tokens.low > 0 and tokens.low < tokens.value < tokens.high
    cost = project_mean([0.1, 0.2, 5.0], scale="positive")
    assert cost.low > 0
    assert ratio_of_sums([1], [0]) is None and ratio_of_sums([], []) is None
    assert compare_ratios([1], [3], [1, 2], [3, 3]) is None  # one project: no variance


def test_corrections_are_statsmodels() -> None:
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 0.01, 8), rng.uniform(0, 1, 40), [0.0, 1.0, 0.5, 0.5]])
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], abs=1e-12)
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], abs=1e-12)
    assert benjamini_hochberg([]).size == 0
    with pytest.raises(ValueError):
        benjamini_hochberg([0.5, 1.2])


@pytest.mark.parametrize("seed", range(4))
def test_pooling_is_dersimonian_laird(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 0.5 + seed * 0.3, size=7)
    se = rng.uniform(0.1, 0.6, size=7)
    pooled = partial_pool(y, se)
    ref = combine_effects(y, se**2, method_re="dl")
    assert pooled.tau2 == pytest.approx(ref.tau2, rel=1e-9, abs=1e-15)
    assert pooled.mean == pytest.approx(ref.mean_effect_re, rel=1e-9)
    # shrunk estimates lie between each group's own estimate and the mean
    assert np.all((pooled.estimates - y) * (pooled.estimates - pooled.mean) <= 1e-12)


def test_identical_groups_are_pooled_to_their_mean() -> None:
    pooled = partial_pool([0.2, 0.21, 0.19, 0.2], [0.3, 0.3, 0.3, 0.3])
    assert pooled.tau2 == 0.0 and np.allclose(pooled.estimates, pooled.mean)


@pytest.mark.parametrize("n1,n2", [(5, 5), (10, 10), (20, 20), (6, 11)])
def test_power_and_mde_are_statsmodels(n1: int, n2: int) -> None:
    mde = minimum_detectable_effect(n1, n2)
    # statsmodels solves for the effect with a looser tolerance than ours: its answer
    # agrees to its own precision, and its power at our answer is 0.8 to 1e-9
    ref = tt_ind_solve_power(nobs1=n1, ratio=n2 / n1, alpha=0.05, power=0.8)
    assert mde == pytest.approx(ref, rel=1e-5)
    reached = tt_ind_solve_power(effect_size=mde, nobs1=n1, ratio=n2 / n1, alpha=0.05)
    assert reached == pytest.approx(0.8, abs=1e-9)
    for d in (0.3, 1.0, 2.0):
        assert power_two_sample(d, n1, n2) == pytest.approx(
            tt_ind_solve_power(effect_size=d, nobs1=n1, ratio=n2 / n1, alpha=0.05), rel=1e-9
        )
    if (n1, n2) == (5, 5):
        assert mde == pytest.approx(2.02, abs=0.01)


def test_aa_false_positives_at_most_alpha_with_clustered_checks() -> None:
    """2,000 A/A splits of 5 vs 5 projects x ~50 checks, intra-project correlation
    0.14: the project-level test rejects at most ~alpha; a per-check z-test would
    reject far more often (shown for contrast)."""
    rng = np.random.default_rng(2024)
    runs, hits, naive = 2000, 0, 0
    for _ in range(runs):
        y, n = _clustered(rng, 10, 50, 0.3, 0.14)
        cmp = compare_ratios(y[:5], n[:5], y[5:], n[5:])
        hits += cmp.p_value < 0.05
        pa, pb = y[:5].sum() / n[:5].sum(), y[5:].sum() / n[5:].sum()
        pooled = y.sum() / n.sum()
        z = (pa - pb) / np.sqrt(pooled * (1 - pooled) * (1 / n[:5].sum() + 1 / n[5:].sum()))
        naive += 2 * stats.norm.sf(abs(z)) < 0.05
    assert hits / runs <= 0.06, hits / runs
    assert naive / runs > 0.25  # why the project is the unit


def test_power_on_a_known_effect_is_near_the_analytic_power() -> None:
    """Per-project values with a known standardized effect: the share of simulated
    experiments detecting it matches the noncentral-t power."""
    rng = np.random.default_rng(7)
    d, n, runs = 1.2, 10, 2000
    found = sum(
        compare_means(rng.normal(d, 1, n), rng.normal(0, 1, n)).p_value < 0.05
        for _ in range(runs)
    )
    analytic = power_two_sample(d, n, n)
    assert found / runs == pytest.approx(analytic, abs=0.04)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_threshold_tests_are_scipy_one_sample_t(seed: int, alternative: str) -> None:
    rng = np.random.default_rng(seed)
    y, n = _clustered(rng, 6 + seed, 30, 0.2, 0.2)
    est = ratio_of_sums(y, n)
    test = against_threshold(est, 0.15, alternative=alternative)
    # the ratio's linearized values have mean R: the one-sample t on them is the test
    linear = est.value + (y - est.value * n) / n.mean()
    ref = stats.ttest_1samp(linear, 0.15, alternative=alternative)
    assert test.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert test.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    values = rng.normal(2, 1, size=8)
    mean = against_threshold(project_mean(values), 1.5, alternative=alternative)
    ref = stats.ttest_1samp(values, 1.5, alternative=alternative)
    assert mean.p_value == pytest.approx(ref.pvalue, rel=1e-10)


def test_data_without_spread_are_judged_by_their_side() -> None:
    none = ratio_of_sums([0, 0, 0], [5, 6, 7])
    assert against_threshold(none, 0.25, alternative="greater").p_value == 1.0
    assert against_threshold(none, 0.25, alternative="less").p_value == 0.0
    same = ratio_of_sums([2, 2, 2], [4, 4, 4])
    assert against_threshold(same, 0.5, alternative="greater").p_value >= 0.5
    cmp = compare_ratios([0, 0, 0], [5, 5, 5], [0, 0], [4, 4], alternative="greater")
    assert cmp.p_value >= 0.5


def _mixture_integral(estimate: float, variance: float, prior: Any, low: float,
                      high: float) -> float:
    from scipy import integrate

    def integrand(theta: float) -> float:
        return math.exp(theta * estimate / variance - theta**2 / (2 * variance)) * prior(theta)

    value, _ = integrate.quad(integrand, low, high, epsabs=1e-13, epsrel=1e-12)
    return float(value)


@pytest.mark.parametrize("estimate,variance,tau", [(0.3, 0.04, 0.2), (-1.2, 0.5, 0.7),
                                                   (0.0, 1.0, 1.0), (2.0, 0.3, 0.1)])
def test_mixture_e_values_are_their_integrals(estimate: float, variance: float,
                                              tau: float) -> None:
    """The closed forms of the sequential tests equal the likelihood ratios averaged over
    their priors, integrated numerically (scipy.integrate.quad) to 1e-9."""
    from autoforge_learn.stats.sequential import drop_e_values, mixture_e_value

    two_sided = _mixture_integral(estimate, variance,
                                  lambda t: stats.norm.pdf(t, scale=tau), -np.inf, np.inf)
    assert mixture_e_value(estimate, variance, tau=tau) == pytest.approx(two_sided, rel=1e-9)
    # a stream of n observations with sd sigma: its mean has variance sigma^2 / n
    n, sigma = 9, math.sqrt(variance * 9)
    values = np.full(n, estimate)
    drop = _mixture_integral(estimate, sigma**2 / n,
                             lambda t: 2 * stats.norm.pdf(t, scale=tau), -np.inf, 0)
    assert drop_e_values(values, sigma=sigma, tau=tau)[-1] == pytest.approx(drop, rel=1e-9)


def test_the_confidence_sequence_is_where_the_mixture_test_rejects() -> None:
    """At each end of the interval the mixture e-value of the shifted estimate is
    exactly 1/alpha: every value outside is rejected, every value inside is not."""
    from autoforge_learn.stats.sequential import confidence_sequence, mixture_e_value

    estimate, variance, tau, alpha = 0.4, 0.02, 0.3, 0.05
    low, high = confidence_sequence(estimate, variance, tau=tau, alpha=alpha)
    for end in (low, high):
        assert mixture_e_value(estimate - end, variance, tau=tau) == pytest.approx(
            1 / alpha, rel=1e-9)
    assert mixture_e_value(estimate - (low + high) / 2, variance, tau=tau) < 1 / alpha
