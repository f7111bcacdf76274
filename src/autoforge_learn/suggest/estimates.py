"""Confidence, expected impact and the planned experiment of a suggestion, from the data.

**Expected impact.** A change of a given type is assumed to remove a share of the
problem it addresses: its *efficacy*, a prior per type (``suggest.efficacy``), never
estimated here. The size of the problem is measured: for a gate failure cause, its
first-check rate in the role's current version (or the finding's estimate), with the
95% interval over projects. So::

    gate_success_improvement = efficacy x rate        interval: efficacy x [low, high]

and likewise ``retry_reduction`` (efficacy x the measured share of retries, rejections or
overrides it addresses). The ``basis`` says which number is a prior and which is measured.

**Confidence** is a score on [0, 1], not a calibrated probability::

    confidence = prior(type) x (1 - q) x n / (n + n0)  [x wording_factor]

``prior`` is the assumed chance that a change of this type works (``suggest.priors``);
``q`` the finding's Benjamini-Hochberg adjusted p-value (``1 - q`` bounds the chance the
finding is real as the run's false discovery control does); ``n`` its projects and ``n0``
``suggest.confidence_projects`` (a finding on ``n0`` projects counts half); the
``wording_factor`` applies when a cause is put down to the prompt by its wording only,
not by a difference between prompt versions. With several findings the best one counts.

**Experiment.** The A/B test of the change against the role's current version compares
a metric per project. The projects per arm come from the power of a two-sided two-sample
t-test (``stats.power``; ``experiment_power``, ``experiment_alpha``) for the
standardized effect ``d = expected effect / between-project SD``. The SD is taken from
the finding's interval over projects (``SD ~ sqrt(n) x half-width / 1.96``, as if the
interval were symmetric) or, for a gate's pass rate, from the binomial SD of a project's
gate runs at the gate's failure rate, inflated by the overdispersion the cause's own
interval shows; both are approximations, said so in ``basis``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autoforge_learn.findings import Finding
from autoforge_learn.stats.intervals import wilson_interval
from autoforge_learn.stats.power import power_two_sample
from autoforge_learn.suggest.text import pct

Z95 = 1.959964
#: Largest experiment planned (projects per arm); beyond it the effect is too small.
MAX_PROJECTS = 1_000_000


@dataclass(frozen=True)
class Measured:
    """A measured quantity with its 95% interval and what it is.

    Attributes:
        value: The estimate.
        low: Lower end of its 95% interval (None: not known).
        high: Upper end.
        projects: Projects it rests on.
        label: What it is, for the basis ("the cause's first-check rate in qa.v1.1").
        per_project: Mean observations (checks) per project, for a binomial SD.
    """

    value: float
    low: float | None
    high: float | None
    projects: int
    label: str
    per_project: float = 1.0

    def text(self) -> str:
        """``9% (95% 5%-16%, 117 projects)``."""
        inside = f"95% {pct(self.low)}-{pct(self.high)}, " if self.low is not None else ""
        return f"{pct(self.value)} ({inside}{self.projects} projects)"


@dataclass(frozen=True)
class Scaled:
    """``efficacy x measured``, with its interval."""

    value: float
    low: float | None
    high: float | None


def clamp01(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)


def scaled(efficacy: float, measured: Measured | None) -> Scaled | None:
    """``efficacy x measured`` and its interval, kept within [0, 1]."""
    if measured is None:
        return None
    low = None if measured.low is None else clamp01(efficacy * measured.low)
    high = None if measured.high is None else clamp01(efficacy * measured.high)
    return Scaled(clamp01(efficacy * measured.value), low, high)


def share_measured(part: int, whole: int, label: str, projects: int) -> Measured | None:
    """A share with its Wilson interval (None when ``whole`` is 0)."""
    if whole <= 0:
        return None
    found = wilson_interval(min(part, whole), whole)
    low, high = found if found else (None, None)
    return Measured(part / whole, low, high, projects, label)


def finding_measured(
    finding: Finding, label: str, *, counts: tuple[int, int] | None = None
) -> Measured:
    """The finding's own value and interval; without an interval, the Wilson interval of
    ``counts`` (events, trials) when given (over observations, not projects: narrower)."""
    low, high = finding.interval if finding.interval is not None else (None, None)
    if low is None and counts is not None and counts[1] > 0:
        found = wilson_interval(min(max(counts[0], 0), counts[1]), counts[1])
        if found is not None:
            low, high = found
            label += " (Wilson interval over observations)"
    return Measured(float(finding.value), low, high, projects_of(finding), label)


def projects_of(finding: Finding) -> int:
    """Projects a finding rests on (its claim's, when the finding does not say)."""
    if finding.projects:
        return int(finding.projects)
    return int(finding.hypothesis.projects) if finding.hypothesis is not None else 0


def q_of(finding: Finding) -> float:
    """The finding's adjusted p-value (its p-value when not adjusted; 1 without a test)."""
    h = finding.hypothesis
    if h is None:
        return 1.0
    return float(h.q_value if h.q_value is not None else h.p_value)


def confidence(
    prior: float,
    findings: Sequence[Finding],
    *,
    half_projects: int,
    wording_factor: float | None = None,
    kind: str = "",
) -> tuple[float, str]:
    """The confidence score and its basis (see the module docstring)."""
    best: tuple[float, Finding] | None = None
    for finding in findings:
        n = projects_of(finding)
        strength = (1.0 - q_of(finding)) * n / (n + half_projects)
        if best is None or strength > best[0]:
            best = (strength, finding)
    if best is None:
        return 0.0, "no finding"
    strength, finding = best
    n = projects_of(finding)
    value = prior * strength * (wording_factor if wording_factor is not None else 1.0)
    basis = (
        f"a score, not a calibrated probability: prior {prior:g} for {kind or 'this type'} "
        f"(suggest.priors, assumed) x (1 - q) = {1 - q_of(finding):.3f} (the finding's "
        f"adjusted p-value) x n/(n + {half_projects}) = {n / (n + half_projects):.3f} "
        f"(n = {n} projects)"
    )
    if wording_factor is not None:
        basis += f" x {wording_factor:g} (put down to the prompt by wording only)"
    return round(clamp01(value), 2), basis


def sd_from_interval(measured: Measured | None) -> float | None:
    """The between-project SD implied by an interval over projects, or None."""
    if measured is None or measured.low is None or measured.high is None:
        return None
    if measured.projects < 2 or measured.high <= measured.low:
        return None
    return math.sqrt(measured.projects) * (measured.high - measured.low) / (2 * Z95)


def gate_pass_sd(gate_failure_rate: float, cause: Measured | None) -> tuple[float, str]:
    """The between-project SD of a gate's gate-run pass rate, and how it was got.

    A project's runs of the gate are binomial at the gate's failure rate ``f``
    (``m`` runs per project): SD = sqrt(phi x f(1 - f) / m), with ``phi`` >= 1 the
    overdispersion of the cause's own rate (its observed between-project variance over
    the binomial one, at most 10).
    """
    m = max(cause.per_project if cause else 1.0, 1.0)
    f = min(max(gate_failure_rate, 0.01), 0.99)
    phi = 1.0
    observed = sd_from_interval(cause)
    if cause is not None and observed is not None and 0 < cause.value < 1:
        binomial = cause.value * (1 - cause.value) / m
        phi = min(max(observed**2 / binomial, 1.0), 10.0)
    sd = math.sqrt(phi * f * (1 - f) / m)
    return sd, (
        f"SD of a project's gate-run pass rate ~ sqrt(phi x f(1-f)/m) = {sd:.3f} with the "
        f"gate's failure rate f = {f:.3f}, m = {m:.2f} gate runs per project and "
        f"overdispersion phi = {phi:.2f} (from the cause's interval); an approximation"
    )


def projects_per_arm(effect: float, sd: float, *, alpha: float, power: float) -> int:
    """Projects per arm for a two-sided two-sample t-test to reach ``power`` at
    ``alpha`` for the standardized effect ``effect / sd`` (at most :data:`MAX_PROJECTS`)."""
    if effect <= 0 or sd <= 0 or not math.isfinite(effect / sd):
        return MAX_PROJECTS
    d = effect / sd
    low, high = 2, 4
    while high < MAX_PROJECTS and power_two_sample(d, high, high, alpha=alpha) < power:
        low, high = high, high * 2
    high = min(high, MAX_PROJECTS)
    while low < high:
        mid = (low + high) // 2
        if power_two_sample(d, mid, mid, alpha=alpha) >= power:
            high = mid
        else:
            low = mid + 1
    return high
