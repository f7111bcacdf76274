"""The experiments' statistics against references (scipy) and by simulation: exact
permutation test, sample ratio check, design refusal, sequential validity, assignment."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from autoforge_learn.experiments.arms import (
    ArmData,
    fixed_test,
    permutation_p,
    sequential_test,
    smallest_permutation_p,
)
from autoforge_learn.experiments.assign import arm_of, treatment_share
from autoforge_learn.experiments.design import (
    design_problem,
    non_inferiority_p,
    sample_ratio_p,
)
from autoforge_learn.experiments.model import (
    Experiment,
    ExperimentError,
    Guardrail,
    Phase,
    RolloutPlan,
)


def _arm(values: np.ndarray) -> ArmData:
    return ArmData(tuple(f"p{i}" for i in range(values.size)), values)


@pytest.mark.parametrize("seed", range(4))
def test_permutation_p_is_scipy_s_exact_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 1, 4 + seed % 2), rng.normal(0.8, 1, 5)
    ref = stats.permutation_test(
        (a, b), lambda x, y: abs(np.mean(x) - np.mean(y)), permutation_type="independent",
        alternative="greater", n_resamples=np.inf,
    )
    assert permutation_p(a, b) == pytest.approx(ref.pvalue, abs=1e-12)


def test_small_arms_use_the_exact_test_and_large_ones_welch() -> None:
    rng = np.random.default_rng(1)
    small = fixed_test(_arm(rng.normal(0, 1, 5)), _arm(rng.normal(1, 1, 5)), log=False)
    assert small.test.startswith("exact permutation")
    a, b = rng.normal(0, 1, 12), rng.normal(0.5, 1, 12)
    large = fixed_test(_arm(a), _arm(b), log=False)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert large.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert fixed_test(_arm(a[:1]), _arm(b), log=False) is None


@pytest.mark.parametrize("counts", [(9, 11, 50), (30, 70, 50), (480, 520, 50), (700, 300, 25)])
def test_sample_ratio_is_scipy(counts: tuple[int, int, int]) -> None:
    n_c, n_t, split = counts
    total = n_c + n_t
    if total < 200:
        ref = stats.binomtest(n_t, total, split / 100).pvalue
    else:
        ref = stats.chisquare([n_c, n_t], [total * (1 - split / 100), total * split / 100]).pvalue
    assert sample_ratio_p(n_c, n_t, split) == pytest.approx(ref, rel=1e-12)


def test_designs_that_cannot_reach_a_verdict_are_refused() -> None:
    assert smallest_permutation_p(3, 3) == pytest.approx(0.1)
    assert "smallest p-value is 0.1" in design_problem(6, 50, alpha=0.05, continuous=True)
    assert design_problem(8, 50, alpha=0.05, continuous=True) is None  # 2/70 = 0.029
    assert "at least two" in design_problem(10, 95, alpha=0.05, continuous=False)
    assert design_problem(None, 50, alpha=0.05, continuous=True) is None


def test_non_inferiority_is_a_one_sided_t() -> None:
    # harm 1 with se 2, margin 5: t = -2 on 10 df
    assert non_inferiority_p(1.0, 2.0, 5.0, 10) == pytest.approx(stats.t.cdf(-2, 10))
    assert non_inferiority_p(6.0, 2.0, 5.0, 10) > 0.5


def test_sequential_aa_with_a_look_after_every_project_stays_under_alpha() -> None:
    """1,000 A/A experiments, up to 40 projects an arm, looked at after every project:
    the always-valid test rejects in at most alpha of them."""
    rng = np.random.default_rng(5)
    runs, rejected = 1000, 0
    for _ in range(runs):
        result = sequential_test(_arm(rng.normal(0, 1, 40)), _arm(rng.normal(0, 1, 40)),
                                 alpha=0.05)
        rejected += result.p_value <= 0.05
    assert rejected / runs <= 0.05, rejected / runs


def test_sequential_detects_a_real_effect() -> None:
    rng = np.random.default_rng(6)
    found = sum(
        sequential_test(_arm(rng.normal(0, 1, 40)), _arm(rng.normal(1.0, 1, 40)),
                        alpha=0.05).p_value <= 0.05
        for _ in range(200)
    )
    assert found / 200 >= 0.7


def _experiment(**kw: object) -> Experiment:
    base = dict(id="exp-1", role="architect", control="architect.v1.0",
                treatment="architect.v1.1", salt="0123456789abcdef",
                started_at=datetime(2025, 10, 1, tzinfo=UTC))
    return Experiment.model_validate({**base, **kw})


def test_assignment_is_sticky_and_follows_the_split() -> None:
    exp = _experiment(split=30)
    arms = [arm_of(exp, f"proj-{i}") for i in range(4000)]
    assert arms == [arm_of(exp, f"proj-{i}") for i in range(4000)]
    assert arms.count("treatment") / 4000 == pytest.approx(0.30, abs=0.03)
    other = _experiment(salt="fedcba9876543210", split=30)
    assert arms != [arm_of(other, f"proj-{i}") for i in range(4000)]


def test_a_rollout_keeps_its_holdback_and_only_adds_projects() -> None:
    started = datetime(2025, 10, 1, tzinfo=UTC)

    def at(share: int) -> Experiment:
        plan = RolloutPlan(steps=[25, 50, 100], holdback=10,
                           phases=[Phase(share=s, started_at=started)
                                   for s in [25, 50, 100][: [25, 50, 100].index(share) + 1]])
        return _experiment(rollout=plan.model_dump())

    treated = {}
    for share in (25, 50, 100):
        exp = at(share)
        treated[share] = {i for i in range(4000) if arm_of(exp, f"p{i}") == "treatment"}
        assert len(treated[share]) / 4000 == pytest.approx(
            treatment_share(exp), abs=0.03)
    assert treated[25] < treated[50] < treated[100]
    assert len(treated[100]) / 4000 == pytest.approx(0.9, abs=0.02)  # the holdback stays


def test_guardrails_and_bad_designs_read_clearly() -> None:
    assert Guardrail.parse("cost_per_project:+10%") == Guardrail(
        metric="cost_per_project", margin=0.10, relative=True)
    assert Guardrail.parse("quality_score:-2") == Guardrail(metric="quality_score", margin=2)
    with pytest.raises(ExperimentError, match="METRIC:"):
        Guardrail.parse("cost_per_project>10")
    with pytest.raises(ValueError, match="not a version of role"):
        _experiment(treatment="engineer.v1.1")
    with pytest.raises(ValueError):
        _experiment(id="../escape")
    assert math.isclose(Guardrail.parse("x:+2.5%").margin, 0.025)


def test_every_look_of_the_sequential_test_uses_the_fixed_estimates() -> None:
    """The cumulative sums give, at each look, the same estimate and variance as the
    fixed-horizon estimators on that prefix (ratio and continuous arms)."""
    from autoforge_learn.experiments.arms import _prefix_stats
    from autoforge_learn.stats.projects import project_mean, ratio_of_sums

    rng = np.random.default_rng(9)
    y, n = rng.integers(0, 8, 15).astype(float), rng.integers(8, 15, 15).astype(float)
    ratio_arm = ArmData(tuple(map(str, range(15))), y, n)
    sizes = np.arange(3, 16)
    est, var = _prefix_stats(ratio_arm, sizes)
    for k, e, v in zip(sizes, est, var, strict=True):
        ref = ratio_of_sums(y[:k], n[:k])
        assert e == pytest.approx(ref.value, rel=1e-12)
        assert v == pytest.approx(ref.se**2, rel=1e-9)
    x = rng.normal(3, 2, 15)
    est, var = _prefix_stats(_arm(x), sizes)
    for k, e, v in zip(sizes, est, var, strict=True):
        ref = project_mean(x[:k])
        assert e == pytest.approx(ref.value, rel=1e-12)
        assert v == pytest.approx(ref.se**2, rel=1e-9)


def _clustered_arm(rng: np.random.Generator, projects: int, checks: int, rate: float,
                   icc: float) -> ArmData:
    """Pass counts of projects whose own rate varies around ``rate`` (beta, intra-project
    correlation ``icc``), ``checks`` checks each."""
    a = rate * (1 - icc) / icc
    b = (1 - rate) * (1 - icc) / icc
    p = rng.beta(a, b, projects)
    n = np.full(projects, float(checks))
    return ArmData(tuple(f"p{i}" for i in range(projects)), rng.binomial(checks, p) * 1.0, n)


def test_experiment_aa_with_correlated_checks_stays_at_alpha() -> None:
    """2,000 A/A experiments of 5 vs 5 projects x 50 gate checks, intra-project
    correlation 0.14, gate pass rate as the metric: the fixed test rejects in at most
    6% of them."""
    rng = np.random.default_rng(14)
    runs = 2000
    rejected = sum(
        fixed_test(_clustered_arm(rng, 5, 50, 0.75, 0.14), _clustered_arm(rng, 5, 50, 0.75, 0.14),
                   log=False).p_value < 0.05
        for _ in range(runs)
    )
    assert rejected / runs <= 0.06, rejected / runs


def test_rise_e_value_is_the_mixture_integral() -> None:
    """The closed form equals the half-normal mixture of likelihood ratios integrated
    numerically (scipy.integrate.quad)."""
    from scipy import integrate

    from autoforge_learn.stats.sequential import rise_e_value

    for estimate, variance, tau in [(0.3, 0.04, 0.2), (-0.1, 0.01, 0.5), (1.5, 0.2, 0.1),
                                    (0.0, 1.0, 1.0)]:
        def integrand(theta: float, d: float = estimate, v: float = variance,
                      t: float = tau) -> float:
            lr = math.exp(theta * d / v - theta**2 / (2 * v))
            return lr * 2 * stats.norm.pdf(theta, scale=t)

        ref, _ = integrate.quad(integrand, 0, np.inf, epsabs=1e-13, epsrel=1e-12)
        assert rise_e_value(estimate, variance, tau=tau) == pytest.approx(ref, rel=1e-9)


def _phases(rng: np.random.Generator, harm: float) -> list[tuple[ArmData, ArmData]]:
    """Three rollout phases (25%, 50%, 100% of 90% outside a 10% holdback), 30 projects
    each, per-project quality with the treatment ``harm`` points lower."""
    strata = []
    for share in (0.25, 0.5, 1.0):
        treated = rng.random(30) < 0.9 * share
        values = rng.normal(70, 8, 30) - harm * treated
        ids = tuple(f"p{i}" for i in range(30))
        strata.append((
            ArmData(tuple(i for i, t in zip(ids, treated, strict=True) if not t),
                    values[~treated]),
            ArmData(tuple(i for i, t in zip(ids, treated, strict=True) if t), values[treated]),
        ))
    return strata


def test_rollout_guardrail_looked_at_after_every_project_rarely_rolls_back_a_good_version(
) -> None:
    """1,000 rollouts of a version exactly as good as the default, the guardrail checked
    after every project of every phase: rolled back in at most alpha of them."""
    from autoforge_learn.experiments.arms import harm_sequence

    rng = np.random.default_rng(21)
    runs, rolled = 1000, 0
    for _ in range(runs):
        result = harm_sequence(_phases(rng, 0.0), sign=-1.0, margin=0.0, relative=False,
                               alpha=0.05)
        rolled += result is not None and result.p_value <= 0.05
    assert rolled / runs <= 0.05, rolled / runs


def test_rollout_guardrail_catches_a_real_regression() -> None:
    from autoforge_learn.experiments.arms import harm_sequence

    rng = np.random.default_rng(22)
    caught = sum(
        harm_sequence(_phases(rng, 8.0), sign=-1.0, margin=0.0, relative=False,
                      alpha=0.05).p_value <= 0.05
        for _ in range(200)
    )
    assert caught / 200 >= 0.8, caught / 200


def test_stratified_comparison_is_welch_within_one_stratum_and_honest_across_many() -> None:
    from autoforge_learn.experiments.arms import pooled_difference

    rng = np.random.default_rng(31)
    a, b = rng.normal(0, 1, 12), rng.normal(0.4, 1, 15)
    one = pooled_difference([(_arm(a), _arm(b))])
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert one.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    runs, rejected = 2000, 0
    for _ in range(runs):
        strata = []
        for shift in (0.0, 2.0, -1.0, 5.0):  # strata differ; the versions do not
            n_c, n_t = rng.integers(2, 9, 2)
            strata.append((_arm(rng.normal(shift, 1, n_c)), _arm(rng.normal(shift, 1, n_t))))
        rejected += pooled_difference(strata).p_value < 0.05
    assert rejected / runs <= 0.06, rejected / runs
