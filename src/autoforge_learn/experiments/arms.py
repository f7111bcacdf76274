"""The statistical tests of an experiment, on one value (or numerator and denominator)
per project of each arm: the project is the unit, whatever happens inside it.

* Ratio metrics (gate pass rate, override rate...): the ratio of each arm's per-project
  sums, compared with Welch's t on the delta-method linearized values
  (:func:`autoforge_learn.stats.projects.compare_ratios`).
* Continuous metrics (cost, duration, quality, retries per project...): Welch's t on the
  projects' values (on the log scale for skewed positive metrics: cost, durations,
  tokens), or, with at most :data:`EXACT_UP_TO` projects in an arm, the exact
  permutation test of the difference of means (every split of the projects enumerated).
* Sequential mode: the always-valid normal-mixture test
  (:mod:`autoforge_learn.stats.sequential`), its e-value computed after every project in
  the order they were assigned, so a look at any time is valid.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from autoforge_learn.stats.projects import Comparison, compare_means, compare_ratios

#: Arms this small (or smaller) are compared with the exact permutation test.
EXACT_UP_TO = 7


@dataclass(frozen=True)
class ArmData:
    """Per project of one arm, in assignment order: a numerator and a denominator (a
    ratio metric) or one value (``denominators`` None)."""

    projects: tuple[str, ...]
    numerators: np.ndarray
    denominators: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.projects)

    def head(self, n: int) -> ArmData:
        """The first ``n`` projects."""
        den = None if self.denominators is None else self.denominators[:n]
        return ArmData(self.projects[:n], self.numerators[:n], den)

    def values(self) -> np.ndarray:
        """Per-project values (a ratio metric: each project's own ratio)."""
        if self.denominators is None:
            return self.numerators
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.numerators / self.denominators


@dataclass(frozen=True)
class TestResult:
    """Treatment against control for one metric."""

    effect: float
    low: float
    high: float
    p_value: float
    control_value: float
    treatment_value: float
    se: float
    test: str
    df: float = math.inf


def permutation_p(a: np.ndarray, b: np.ndarray) -> float:
    """Exact two-sided permutation p-value of the difference of means of ``a`` and
    ``b`` (every split of the pooled values; ties count as extreme)."""
    pooled = np.concatenate([a, b])
    observed = abs(a.mean() - b.mean())
    total, extreme = 0, 0
    for chosen in itertools.combinations(range(pooled.size), a.size):
        mask = np.zeros(pooled.size, dtype=bool)
        mask[list(chosen)] = True
        diff = abs(pooled[mask].mean() - pooled[~mask].mean())
        extreme += diff >= observed - 1e-12
        total += 1
    return extreme / total


def smallest_permutation_p(n1: int, n2: int) -> float:
    """The smallest two-sided p-value the exact permutation test can give."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def fixed_test(
    control: ArmData, treatment: ArmData, *, log: bool, exact: bool = True
) -> TestResult | None:
    """The fixed-horizon test of treatment against control (see the module docstring);
    ``exact=False`` keeps Welch's p-value at small arms (when only the estimate and its
    standard error are wanted).

    Returns:
        None with fewer than two projects in an arm.
    """
    if control.size < 2 or treatment.size < 2:
        return None
    if control.denominators is not None and treatment.denominators is not None:
        cmp = compare_ratios(treatment.numerators, treatment.denominators,
                             control.numerators, control.denominators, scale="real")
        return _from(cmp) if cmp else None
    a, b = treatment.values(), control.values()
    if log and np.all(a > 0) and np.all(b > 0):
        cmp = compare_means(np.log(a), np.log(b))
        if cmp is None:
            return None
        ratio = math.exp(cmp.effect)
        return TestResult(
            effect=float(a.mean() - b.mean()), low=float(b.mean() * (math.exp(cmp.low) - 1)),
            high=float(b.mean() * (math.exp(cmp.high) - 1)), p_value=cmp.p_value,
            control_value=float(b.mean()), treatment_value=float(a.mean()), se=cmp.se,
            test=f"Welch t on log values (ratio of geometric means {ratio:.3f})", df=cmp.df,
        )
    cmp = compare_means(a, b)
    if cmp is None:
        return None
    result = _from(cmp)
    if exact and min(a.size, b.size) <= EXACT_UP_TO:
        return TestResult(**{**result.__dict__, "p_value": permutation_p(a, b),
                             "test": "exact permutation test of the difference of means"})
    return result


def _from(cmp: Comparison) -> TestResult:
    return TestResult(
        effect=cmp.effect, low=cmp.low, high=cmp.high, p_value=cmp.p_value,
        control_value=cmp.b.value, treatment_value=cmp.a.value, se=cmp.se, test=cmp.test,
        df=cmp.df,
    )


def _prefix_stats(arm: ArmData, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The estimate and its variance after the first ``sizes`` projects of an arm, for
    every size at once (cumulative sums: a look costs no more than a sum).

    A ratio metric's variance is the delta method's, ``sum((y - R n)^2) / sum(n)^2 *
    k / (k - 1)``, expanded into sums of ``y^2``, ``y n`` and ``n^2``; a continuous
    metric's is the sample variance over ``k``.
    """
    k = sizes.astype(float)
    y = arm.numerators.astype(float)
    if arm.denominators is None:
        s1, s2 = np.cumsum(y)[sizes - 1], np.cumsum(y**2)[sizes - 1]
        mean = s1 / k
        var = np.maximum(s2 - k * mean**2, 0.0) / (k - 1) / k
        return mean, var
    n = arm.denominators.astype(float)
    sy, sn = np.cumsum(y)[sizes - 1], np.cumsum(n)[sizes - 1]
    syy, syn, snn = (np.cumsum(y * y)[sizes - 1], np.cumsum(y * n)[sizes - 1],
                     np.cumsum(n * n)[sizes - 1])
    ratio = sy / sn
    resid = np.maximum(syy - 2 * ratio * syn + ratio**2 * snn, 0.0)
    return ratio, resid / sn**2 * k / (k - 1)


def sequential_test(
    control: ArmData, treatment: ArmData, *, alpha: float
) -> TestResult | None:
    """The always-valid test: the mixture e-value after each project (in assignment
    order, once both arms hold three), its running maximum giving the p-value; the
    interval is the confidence sequence at the current look. The variance carries the
    t correction ``df / (df - 2)`` of its plug-in estimate, and the mixture scale is
    half a project's standard deviation (about the effects worth detecting)."""
    from autoforge_learn.stats.sequential import confidence_sequence, mixture_e_value

    looks = _looks(control.size, treatment.size)
    if not looks:
        return None
    n_c = np.array([c for c, _ in looks])
    n_t = np.array([t for _, t in looks])
    mean_c, var_c = _prefix_stats(control, n_c)
    mean_t, var_t = _prefix_stats(treatment, n_t)
    effect, variance = mean_t - mean_c, var_c + var_t
    df = np.maximum(3.0, n_c + n_t - 2.0)
    corrected = variance * df / (df - 2)
    tau = np.maximum(np.sqrt(variance * n_c * n_t / (n_c + n_t)) / 2, 1e-12)
    best = 0.0
    for d, v, t in zip(effect, corrected, tau, strict=True):
        if v > 0:
            best = max(best, mixture_e_value(float(d), float(v), tau=float(t)))
    v_now, tau_now = float(corrected[-1]), float(tau[-1])
    if v_now <= 0:
        return None
    low, high = confidence_sequence(float(effect[-1]), v_now, tau=tau_now, alpha=alpha)
    return TestResult(
        effect=float(effect[-1]), low=low, high=high,
        p_value=min(1.0, 1 / best) if best else 1.0, control_value=float(mean_c[-1]),
        treatment_value=float(mean_t[-1]), se=math.sqrt(float(variance[-1])),
        test="always-valid normal-mixture test (valid at every look)",
    )


def _looks(n_control: int, n_treatment: int) -> list[tuple[int, int]]:
    """The (control, treatment) sizes after each arriving project, both arms >= 3
    (projects arrive interleaved in proportion to the arms' sizes)."""
    total = n_control + n_treatment
    looks = []
    for k in range(1, total + 1):
        n_c = round(k * n_control / total)
        n_t = k - n_c
        if n_c >= 3 and n_t >= 3:
            looks.append((n_c, n_t))
    return looks


@dataclass(frozen=True)
class HarmResult:
    """A guardrail watched at every look over strata (a rollout's phases).

    Attributes:
        harm: How much worse the treatment is now, in the metric's units (positive:
            worse), pooled over the strata by inverse variance.
        low: Lower end of its always-valid (two-sided) interval.
        high: Upper end.
        p_value: Always-valid one-sided p-value of "no harm beyond the margin".
        looks: How many looks the p-value covers.
    """

    harm: float
    low: float
    high: float
    p_value: float
    looks: int


def harm_sequence(
    strata: list[tuple[ArmData, ArmData]], *, sign: float, margin: float, relative: bool,
    alpha: float,
) -> HarmResult | None:
    """The always-valid one-sided test that the treatment is worse than the control by
    more than ``margin`` (``sign`` -1 when higher is better), checked after every
    project: strata (phases) in order, projects in assignment order within each. At a
    look each stratum with three projects an arm gives its difference and variance
    (delta method for ratios, t-corrected); the strata are pooled by inverse variance
    and the one-sided mixture e-value
    (:func:`autoforge_learn.stats.sequential.rise_e_value`) taken of the pooled harm
    minus the margin; its running maximum gives the p-value.

    Returns:
        None before any stratum holds three projects in each arm.
    """
    from autoforge_learn.stats.sequential import confidence_sequence, rise_e_value

    best, looks, last = 0.0, 0, None
    complete: list[tuple[int, int]] = []
    for k, (control, treatment) in enumerate(strata):
        for sizes in _looks(control.size, treatment.size):
            pooled = _pooled(strata[: k + 1], [*complete, sizes], sign)
            if pooled is None:
                continue
            harm, variance, tau, control_value = pooled
            limit = margin * abs(control_value) if relative else margin
            best = max(best, rise_e_value(harm - limit, variance, tau=tau))
            looks += 1
            last = (harm, variance, tau)
        complete.append((control.size, treatment.size))
    if last is None:
        return None
    harm, variance, tau = last
    low, high = confidence_sequence(harm, variance, tau=tau, alpha=alpha)
    return HarmResult(harm=harm, low=low, high=high,
                      p_value=min(1.0, 1 / best) if best else 1.0, looks=looks)


def _pooled(
    strata: list[tuple[ArmData, ArmData]], sizes: list[tuple[int, int]], sign: float
) -> tuple[float, float, float, float] | None:
    """Inverse-variance pooled harm, its variance, the mixture scale and the pooled
    control value, over the strata holding three projects an arm at these sizes."""
    weights, harms, scales, controls = [], [], [], []
    for (control, treatment), (n_c, n_t) in zip(strata, sizes, strict=True):
        if n_c < 3 or n_t < 3:
            continue
        mean_c, var_c = (float(x[0]) for x in _prefix_stats(control, np.array([n_c])))
        mean_t, var_t = (float(x[0]) for x in _prefix_stats(treatment, np.array([n_t])))
        df = max(3.0, n_c + n_t - 2.0)
        variance = (var_c + var_t) * df / (df - 2)
        if not variance > 0:
            continue
        weights.append(1 / variance)
        harms.append(sign * (mean_t - mean_c))
        scales.append(math.sqrt((var_c + var_t) * n_c * n_t / (n_c + n_t)) / 2)
        controls.append(mean_c)
    if not weights:
        return None
    w = np.asarray(weights)
    return (float(np.dot(w, harms) / w.sum()), float(1 / w.sum()),
            max(float(np.dot(w, scales) / w.sum()), 1e-12),
            float(np.dot(w, controls) / w.sum()))


def pooled_difference(strata: list[tuple[ArmData, ArmData]]) -> TestResult | None:
    """Treatment minus control within each stratum (both arms at least two projects),
    pooled with weights ``n_c n_t / (n_c + n_t)`` (fixed by the sizes, not estimated
    from the data, so small strata do not earn weight by chance), the variance
    ``sum(w^2 V) / sum(w)^2`` from each stratum's Welch (or delta-method) variance, and
    Student's t with Satterthwaite's degrees of freedom."""
    from autoforge_learn.stats.dist import t_ppf, t_sf

    rows = []
    for control, treatment in strata:
        test = fixed_test(control, treatment, log=False, exact=False)
        if test is None:
            continue
        n_c, n_t = control.size, treatment.size
        rows.append((n_c * n_t / (n_c + n_t), test, test.se**2, test.df))
    if not rows:
        return None
    total = sum(w for w, *_ in rows)
    effect = sum(w * t.effect for w, t, _, _ in rows) / total
    parts = [(w / total) ** 2 * v for w, _, v, _ in rows]
    variance = sum(parts)
    if not variance > 0:
        return None
    df = variance**2 / sum(p**2 / df for p, (_, _, _, df) in zip(parts, rows, strict=True)
                            if p > 0)
    se = math.sqrt(variance)
    half = t_ppf(0.975, df) * se
    return TestResult(
        effect=effect, low=effect - half, high=effect + half,
        p_value=2 * t_sf(abs(effect / se), df),
        control_value=sum(w * t.control_value for w, t, _, _ in rows) / total,
        treatment_value=sum(w * t.treatment_value for w, t, _, _ in rows) / total, se=se,
        test=f"difference within {len(rows)} strata, size-weighted; t on {df:.1f} df "
             "(Satterthwaite)",
    )
