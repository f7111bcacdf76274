"""The analysis of an experiment: every metric per arm over projects, the checks, and
what a team may conclude now.

The arms hold the projects *assigned* to them (intention to treat: a project that
crashed before using its version still counts where it was sent). Each metric is
computed per project with the catalogue's own definition (``metric_values`` by
project), on the experiment role's events and the projects' own events
(:class:`~autoforge_learn.selection.Selection` with the role), then compared between
the arms by :mod:`autoforge_learn.experiments.arms`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from autoforge_learn.experiments.arms import ArmData, TestResult, fixed_test, sequential_test
from autoforge_learn.experiments.design import (
    SRM_ALPHA,
    Power,
    non_inferiority_p,
    power_at,
    sample_ratio_p,
)
from autoforge_learn.experiments.model import Experiment, Guardrail

if TYPE_CHECKING:
    from autoforge_learn.workspace import Workspace

Role = Literal["primary", "secondary", "guardrail"]
#: Metrics compared on the log scale (positive and skewed).
LOG_UNITS = ("seconds", "USD/project", "tokens/line")


@dataclass(frozen=True)
class Assignment:
    """A project sent to an arm (its first assignment event).

    Attributes:
        project_id: The project.
        arm: ``control`` or ``treatment``.
        order: Its rank among the experiment's assignments (0 first).
        phase: The rollout phase it was assigned in (1 for an A/B test).
    """

    project_id: str
    arm: str
    order: int
    phase: int = 1


@dataclass
class MetricResult:
    """One metric of an experiment, treatment against control.

    Attributes:
        metric: The catalogue's metric.
        role: ``primary``, ``secondary`` or ``guardrail``.
        effect: Treatment minus control, in the metric's units.
        ci_low: Lower end of the effect's 95% interval (the confidence sequence in
            sequential mode).
        ci_high: Upper end.
        p_value: The test's p-value (for a guardrail: non-inferiority, one-sided).
        adjusted_p: Holm-adjusted across the secondary metrics (None for the others).
        n_control: Projects with a value in the control arm.
        n_treatment: In the treatment arm.
        test: The test used.
        control_value: The control arm's value.
        treatment_value: The treatment arm's value.
        detectable: The smallest difference these projects detect with 80% power.
        verdict: What this metric says, in words.
    """

    metric: str
    role: Role
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_control: int
    n_treatment: int
    test: str
    control_value: float | None = None
    treatment_value: float | None = None
    adjusted_p: float | None = None
    detectable: float | None = None
    verdict: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(v) for k, v in self.__dict__.items()}


@dataclass
class ExperimentStatus:
    """Where an experiment stands.

    Attributes:
        experiment: Its definition.
        n_control: Projects assigned to control.
        n_treatment: Projects assigned to treatment.
        sample_ratio_p: p-value that the assignment follows the split.
        sample_ratio_mismatch: True when that p-value is below 0.001 (something broke
            the assignment: the analysis is not to be trusted).
        underpowered: Fewer projects than planned, or a design that cannot detect the
            effect seen.
        power: The minimum detectable effect of the primary metric now.
        metrics: The primary metric, the secondary ones, the guardrails.
        conclusion: What the team may conclude now (and whether looking now is valid).
    """

    experiment: Experiment
    n_control: int
    n_treatment: int
    sample_ratio_p: float
    sample_ratio_mismatch: bool
    underpowered: bool
    power: Power | None
    metrics: list[MetricResult] = field(default_factory=list)
    conclusion: str = ""

    @property
    def primary(self) -> MetricResult:
        return self.metrics[0]

    def to_dict(self) -> dict[str, Any]:
        e = self.experiment
        return {
            "experiment": e.id, "role": e.role, "control": e.control, "treatment": e.treatment,
            "status": e.status, "mode": e.mode, "split": e.split,
            "planned_projects": e.planned_projects, "n_control": self.n_control,
            "n_treatment": self.n_treatment, "sample_ratio_p": _json(self.sample_ratio_p),
            "sample_ratio_mismatch": self.sample_ratio_mismatch,
            "underpowered": self.underpowered,
            "detectable_effect": _json(self.power.detectable) if self.power else None,
            "conclusion": self.conclusion,
            "metrics": [m.to_dict() for m in self.metrics],
        }


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 6)
    return value


def arm_data(
    ws: Workspace, experiment: Experiment, metric: str, assignments: Sequence[Assignment]
) -> tuple[ArmData, ArmData]:
    """Per project of each arm (in assignment order): the metric's numerator and
    denominator (ratio metrics) or value, computed on the role's and the projects' own
    events."""
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.dataset.metrics import metric_values
    from autoforge_learn.selection import Selection

    definition = get_metric(metric)
    ids = tuple(sorted({a.project_id for a in assignments}))
    chosen = Selection(project_ids=ids, roles=(experiment.role,)) if ids else None
    rows = {} if chosen is None else {
        str(r["project"]): r for r in metric_values(ws, metric, by=["project"], selection=chosen)
    }
    # A cost per project is one value per project (compared on the log scale), not a
    # ratio of sums over the arm.
    ratio = definition.kind == "ratio" and not definition.unit.endswith("/project")
    arms = []
    for arm in ("control", "treatment"):
        mine = [a for a in sorted(assignments, key=lambda a: a.order) if a.arm == arm]
        kept, num, den = [], [], []
        for a in mine:
            row = rows.get(a.project_id)
            if row is None:
                continue
            if ratio and row.get("denominator"):
                kept.append(a.project_id)
                num.append(float(row["numerator"]))
                den.append(float(row["denominator"]))
            elif not ratio and row.get("value") is not None and math.isfinite(row["value"]):
                kept.append(a.project_id)
                num.append(float(row["value"]))
        arms.append(ArmData(tuple(kept), np.asarray(num, dtype=float),
                            np.asarray(den, dtype=float) if ratio else None))
    return arms[0], arms[1]


def _result(metric: str, role: Role, control: ArmData, treatment: ArmData,
            test: TestResult | None) -> MetricResult:
    if test is None:
        return MetricResult(metric, role, None, None, None, None, control.size,
                            treatment.size, "not testable: fewer than two projects an arm",
                            verdict="too few projects to compare")
    return MetricResult(
        metric=metric, role=role, effect=test.effect, ci_low=test.low, ci_high=test.high,
        p_value=test.p_value, n_control=control.size, n_treatment=treatment.size,
        test=test.test, control_value=test.control_value,
        treatment_value=test.treatment_value,
    )


def analyze_metric(
    ws: Workspace, experiment: Experiment, metric: str, role: Role,
    assignments: Sequence[Assignment],
) -> MetricResult:
    """One metric, treatment against control, with the experiment's mode."""
    from autoforge_learn.analyze.metrics import get_metric

    control, treatment = arm_data(ws, experiment, metric, assignments)
    if experiment.mode == "sequential":
        test = sequential_test(control, treatment, alpha=experiment.alpha)
    else:
        test = fixed_test(control, treatment, log=get_metric(metric).unit in LOG_UNITS)
    result = _result(metric, role, control, treatment, test)
    spread = _spread(control, treatment)
    if control.size >= 2 and treatment.size >= 2:
        result.detectable = power_at(control.size, treatment.size, spread,
                                     alpha=experiment.alpha).detectable
    return result


def _spread(control: ArmData, treatment: ArmData) -> float | None:
    """The projects' standard deviation of the metric (pooled over the arms)."""
    values = [v for arm in (control, treatment) for v in arm.values() if np.isfinite(v)]
    return float(np.std(values, ddof=1)) if len(values) > 2 else None


def guardrail_result(
    ws: Workspace, experiment: Experiment, guardrail: Guardrail,
    assignments: Sequence[Assignment],
) -> MetricResult:
    """A guardrail: is the treatment worse than the control by more than the margin (in
    the metric's direction of harm)?

    *holds* when the harm is shown to stay under the margin (one-sided non-inferiority
    t-test; in sequential mode the confidence sequence's upper end under the margin),
    *broken* when it is shown to exceed it (the mirror test), else *not shown to hold*.
    """
    from autoforge_learn.analyze.metrics import get_metric

    control, treatment = arm_data(ws, experiment, guardrail.metric, assignments)
    sequential = experiment.mode == "sequential"
    test = (sequential_test(control, treatment, alpha=experiment.alpha) if sequential
            else fixed_test(control, treatment, log=False))
    result = _result(guardrail.metric, "guardrail", control, treatment, test)
    if test is None:
        result.verdict = "too few projects to judge"
        return result
    lower_better = get_metric(guardrail.metric).lower_is_better
    sign = 1.0 if lower_better else -1.0
    harm = sign * test.effect
    margin = guardrail.margin * abs(test.control_value) if guardrail.relative else (
        guardrail.margin)
    if sequential:
        harm_low, harm_high = sorted((sign * test.low, sign * test.high))
        holds, broken = harm_high < margin, harm_low > margin
        result.p_value = None
        result.test = f"always-valid confidence sequence ({guardrail.describe()})"
    else:
        df = max(control.size + treatment.size - 2, 1)
        result.p_value = non_inferiority_p(harm, test.se, margin, df)
        holds = result.p_value <= experiment.alpha
        broken = 1 - non_inferiority_p(harm, test.se, margin, df) <= experiment.alpha
        result.test = f"non-inferiority, one-sided t ({guardrail.describe()})"
    result.verdict = "holds" if holds else "broken" if broken else "not shown to hold"
    return result


def experiment_status(
    ws: Workspace, experiment: Experiment, assignments: Sequence[Assignment]
) -> ExperimentStatus:
    """Analyse an experiment: every metric, the sample ratio, power, and the
    conclusion a team may draw now."""
    from autoforge_learn.stats.multiple import holm

    n_c = sum(1 for a in assignments if a.arm == "control")
    n_t = sum(1 for a in assignments if a.arm == "treatment")
    srm_p = sample_ratio_p(n_c, n_t, experiment.split)
    metrics = [analyze_metric(ws, experiment, experiment.metric, "primary", assignments)]
    secondary = [analyze_metric(ws, experiment, m, "secondary", assignments)
                 for m in experiment.metrics[1:]]
    tested = [m for m in secondary if m.p_value is not None]
    for m, adjusted in zip(tested, holm([m.p_value for m in tested if m.p_value is not None]),
                           strict=True):
        m.adjusted_p = float(adjusted)
    metrics += secondary
    metrics += [guardrail_result(ws, experiment, g, assignments) for g in experiment.guardrails]
    for m in metrics:
        if m.role != "guardrail" and m.p_value is not None:
            m.verdict = metric_verdict(m, experiment.alpha)
    power = (power_at(n_c, n_t, None, alpha=experiment.alpha)
             if n_c >= 2 and n_t >= 2 else None)
    status = ExperimentStatus(
        experiment=experiment, n_control=n_c, n_treatment=n_t, sample_ratio_p=srm_p,
        sample_ratio_mismatch=srm_p < SRM_ALPHA, power=power,
        underpowered=bool(experiment.planned_projects and n_c + n_t < experiment.planned_projects),
        metrics=metrics,
    )
    status.conclusion = conclusion(status)
    return status


def metric_verdict(m: MetricResult, alpha: float) -> str:
    """A metric's result in words (its Holm-adjusted p-value when it has one)."""
    p = m.adjusted_p if m.adjusted_p is not None else m.p_value
    if p is None or m.effect is None:
        return "too few projects to compare"
    if p <= alpha:
        return "treatment higher" if m.effect > 0 else "treatment lower"
    return "no difference detected"


def conclusion(status: ExperimentStatus) -> str:
    """What a team may conclude now, in words (see :class:`ExperimentStatus`)."""
    e, primary = status.experiment, status.primary
    if status.sample_ratio_mismatch:
        return (f"Sample ratio mismatch (p = {status.sample_ratio_p:.2g}): the arms do not "
                "follow the split; fix the assignment before reading any result.")
    broken = [m.metric for m in status.metrics if m.role == "guardrail" and m.verdict == "broken"]
    if broken:
        return f"Guardrail broken ({', '.join(broken)}): do not ship {e.treatment}."
    if primary.p_value is None:
        return "Too few projects in an arm to compare yet."
    significant = primary.p_value <= e.alpha
    if e.mode == "sequential":
        if significant:
            return (f"{primary.verdict} on {primary.metric} (always-valid test): conclude now.")
        return "No difference yet; the sequential test stays valid at every look: keep running."
    if status.underpowered:
        return (f"Fixed-horizon test: {status.n_control + status.n_treatment} of "
                f"{e.planned_projects} planned projects. Looking before the end inflates false "
                "positives: wait for the planned projects (or use --mode sequential).")
    if significant:
        found = f"{primary.verdict} on {primary.metric} (p = {primary.p_value:.3g})"
        unproven = [m.metric for m in status.metrics
                    if m.role == "guardrail" and m.verdict != "holds"]
        from autoforge_learn.analyze.metrics import get_metric

        better = (primary.effect is not None
                  and (primary.effect < 0) == get_metric(primary.metric).lower_is_better)
        if unproven and better:
            # `conclude` decides for the treatment only when every guardrail holds.
            return (f"{found}, but {', '.join(unproven)} not shown to stay within its "
                    "margin: run more projects, or conclude with --winner if that risk is "
                    "accepted.")
        return f"{found}: conclude."
    return ("No difference detected on "
            f"{primary.metric}; differences under {_fmt(primary)} could not be seen.")


def _fmt(m: MetricResult) -> str:
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.analyze.units import format_change

    if m.detectable is None:
        return "an unknown size"
    return format_change(m.detectable, get_metric(m.metric).unit).lstrip("+")
