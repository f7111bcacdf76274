"""The checks around an experiment's tests: sample ratio, power, whether the design can
reach a verdict at all, non-inferiority of guardrails."""

from __future__ import annotations

import math
from dataclasses import dataclass

from autoforge_learn.experiments.arms import EXACT_UP_TO, smallest_permutation_p
from autoforge_learn.stats.dist import t_cdf

#: A sample ratio mismatch is flagged below this p-value.
SRM_ALPHA = 0.001
#: Below this many projects in all, the sample ratio is tested exactly (binomial).
SRM_EXACT_BELOW = 200


def sample_ratio_p(n_control: int, n_treatment: int, split: int) -> float:
    """p-value that the arms' project counts fit the planned split: the exact binomial
    test at small totals, the chi-square goodness of fit above (as
    ``scipy.stats.chisquare``)."""
    from scipy import stats  # here: the only user of scipy.stats among the experiments' checks

    total = n_control + n_treatment
    if total == 0:
        return 1.0
    share = split / 100
    if total < SRM_EXACT_BELOW:
        return float(stats.binomtest(n_treatment, total, share).pvalue)
    expected = [total * (1 - share), total * share]
    return float(stats.chisquare([n_control, n_treatment], expected).pvalue)


@dataclass(frozen=True)
class Power:
    """What the projects at hand can detect.

    Attributes:
        detectable: The smallest difference detected with 80% power at ``alpha``, in the
            metric's units (from the projects' spread).
        standardized: The same in standard deviations of a project's value.
    """

    detectable: float | None
    standardized: float


def power_at(n_control: int, n_treatment: int, spread: float | None, *, alpha: float
             ) -> Power:
    """The minimum detectable effect for these arm sizes (two-sided t-test, 80% power;
    :func:`autoforge_learn.stats.power.minimum_detectable_effect`), in standard
    deviations and, with the projects' standard deviation ``spread``, in units."""
    from autoforge_learn.stats.power import minimum_detectable_effect

    d = minimum_detectable_effect(n_control, n_treatment, alpha=alpha)
    units = d * spread if spread is not None and math.isfinite(d) else None
    return Power(detectable=units, standardized=d)


def design_problem(
    planned_projects: int | None, split: int, *, alpha: float, continuous: bool
) -> str | None:
    """Why a design cannot reach a verdict, or None when it can: fewer than two
    projects planned in an arm, or arms so small that the exact permutation test's
    smallest p-value stays above ``alpha`` (3 against 3: 0.1)."""
    if planned_projects is None:
        return None
    n_t = round(planned_projects * split / 100)
    n_c = planned_projects - n_t
    if min(n_c, n_t) < 2:
        return (f"{planned_projects} projects at a {split}% split put {n_c} and {n_t} in the "
                "arms: each needs at least two")
    if continuous and min(n_c, n_t) <= EXACT_UP_TO:
        floor = smallest_permutation_p(n_c, n_t)
        if floor > alpha:
            return (f"{n_c} against {n_t} projects: the exact test's smallest p-value is "
                    f"{floor:.3g}, above alpha {alpha:g}; no result could be significant. "
                    "Plan more projects.")
    return None


def non_inferiority_p(harm: float, se: float, margin: float, df: float) -> float:
    """One-sided p-value that the harm (how much worse the treatment is, >= 0 worse)
    stays below the margin: H0 harm >= margin (Student's t)."""
    if se <= 0 or not math.isfinite(se):
        return 0.0 if harm < margin else 1.0
    return t_cdf((harm - margin) / se, max(df, 1.0))
