"""The report's experiments section: running A/B tests and rollouts (arms, projects,
effect with its interval, power, the decision so far) with a forest plot each, and the
experiments that ended recently.

A forest plot puts every metric of one experiment on one axis, so each effect is shown
relative to the control's value (percent): the metrics' units differ, their relative
changes compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autoforge_learn.report.document import (
    Block,
    Chart,
    Code,
    Heading,
    Paragraph,
    Table,
    spans,
)

if TYPE_CHECKING:
    from autoforge_learn.experiments.analysis import ExperimentStatus, MetricResult
    from autoforge_learn.experiments.rollout import RolloutStatus
    from autoforge_learn.report.data import ReportData



@dataclass(frozen=True)
class ForestRow:
    """One effect of a forest plot, in percent of the control's value.

    Attributes:
        label: The metric (and its role or phase).
        effect: Treatment against control, percent of the control's value.
        low: Lower end of the 95% interval, same scale.
        high: Upper end.
        projects: ``control/treatment`` projects behind it.
    """

    label: str
    effect: float
    low: float
    high: float
    projects: str


@dataclass(frozen=True)
class Forest:
    """One experiment's forest plot."""

    name: str
    title: str
    rows: tuple[ForestRow, ...]


def _relative(m: MetricResult, label: str) -> ForestRow | None:
    base = m.control_value
    if (m.effect is None or m.ci_low is None or m.ci_high is None or base is None
            or base == 0 or not all(map(math.isfinite, (m.effect, m.ci_low, m.ci_high)))):
        return None
    scale = 100 / abs(base)
    return ForestRow(label, m.effect * scale, m.ci_low * scale, m.ci_high * scale,
                     f"{m.n_control}/{m.n_treatment}")


def chart_name(experiment_id: str) -> str:
    """The chart name of an experiment's forest plot."""
    return f"forest-{experiment_id}"


def forests(data: ReportData) -> list[Forest]:
    """A forest plot per running experiment and rollout that has an effect to show."""
    out = []
    for status in data.experiments:
        rows = [_relative(m, m.metric if m.role == "primary" else f"{m.metric} ({m.role})")
                for m in status.metrics]
        out.append(Forest(chart_name(status.experiment.id),
                          f"{status.experiment.id}: {status.experiment.treatment} against "
                          f"{status.experiment.control} (effect, % of control)",
                          tuple(r for r in rows if r is not None)))
    for rollout in data.rollouts:
        rows = [_relative(p.primary, f"{p.primary.metric} (phase {p.phase}, {p.share}%)")
                for p in rollout.phases]
        out.append(Forest(chart_name(rollout.rollout.id),
                          f"{rollout.rollout.id}: {rollout.rollout.treatment} against "
                          f"{rollout.rollout.control} by phase (effect, % of control)",
                          tuple(r for r in rows if r is not None)))
    return [f for f in out if f.rows]


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.3g}"


def _metric_rows(metrics: list[MetricResult]) -> Table:
    return Table(
        ("metric", "control", "treatment", "effect [95% CI]", "p", "projects", "detectable",
         "verdict"),
        tuple(
            ((m.metric if m.role == "primary" else f"{m.metric} ({m.role})",),
             (_fmt(m.control_value),), (_fmt(m.treatment_value),),
             (f"{_fmt(m.effect)} [{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]",),
             (_fmt(m.adjusted_p if m.adjusted_p is not None else m.p_value),),
             (f"{m.n_control}/{m.n_treatment}",), (_fmt(m.detectable),), (m.verdict or "-",))
            for m in metrics
        ),
    )


def _experiment(status: ExperimentStatus, charts: list[str]) -> list[Block]:
    e = status.experiment
    planned = f" of {e.planned_projects} planned" if e.planned_projects else ""
    checks = []
    if status.sample_ratio_mismatch:
        checks.append(f"sample ratio mismatch (p = {status.sample_ratio_p:.2g})")
    if status.underpowered:
        checks.append("underpowered")
    blocks: list[Block] = [
        Heading(3, f"A/B test {e.id}"),
        Paragraph(spans(
            f"{e.role}: {e.treatment} (treatment, {e.split}% of new projects) against "
            f"{e.control} (control); {e.mode} analysis; {status.n_control} + "
            f"{status.n_treatment} projects{planned}"
            + (f"; {', '.join(checks)}" if checks else "") + ".")),
        _metric_rows(status.metrics),
        Paragraph(spans(f"Decision so far: {status.conclusion}")),
    ]
    if chart_name(e.id) in charts:
        blocks.append(Chart(chart_name(e.id), f"{e.id}: effects relative to the control"))
    return blocks


def _rollout(status: RolloutStatus, charts: list[str]) -> list[Block]:
    r, plan = status.rollout, status.rollout.rollout
    assert plan is not None
    blocks: list[Block] = [
        Heading(3, f"Rollout {r.id}"),
        Paragraph(spans(
            f"{r.role}: {r.treatment} replacing {r.control}, phase {plan.phase} of "
            f"{len(plan.steps)} ({plan.share}% of new projects, {plan.holdback}% held back); "
            f"status {r.status.replace('_', ' ')}.")),
        _metric_rows([p.primary for p in status.phases]),
        Table(("guardrail", "harm [always-valid interval]", "p", "projects", "verdict"), tuple(
            ((g.guardrail.describe(),),
             (f"{_fmt(g.result.harm)} [{_fmt(g.result.low)}, {_fmt(g.result.high)}]"
              if g.result else "-",),
             (_fmt(g.result.p_value) if g.result else "-",),
             (f"{g.n_control}/{g.n_treatment}",), (g.verdict,))
            for g in status.guardrails)),
        Paragraph(spans(f"Decision: {status.action} ({status.reason}).")),
    ]
    if chart_name(r.id) in charts:
        blocks.append(Chart(chart_name(r.id), f"{r.id}: effect per phase"))
    return blocks


def experiments_section(data: ReportData, charts: list[str]) -> list[Block]:
    """The section's blocks (see the module docstring)."""
    blocks: list[Block] = []
    for status in data.experiments:
        blocks += _experiment(status, charts)
    for rollout in data.rollouts:
        blocks += _rollout(rollout, charts)
    if data.ended_experiments:
        blocks += [Heading(3, "Ended"), Table(
            ("experiment", "status", "ended", "decision"),
            tuple(((e.id,), (e.status.replace("_", " "),),
                   (e.ended_at.date().isoformat() if e.ended_at else "-",),
                   (e.decision.reason if e.decision else (e.history[-1].note
                                                          if e.history else "-"),))
                  for e in data.ended_experiments))]
    if not blocks:
        blocks.append(Paragraph(spans(
            "No experiment or rollout yet: prove a prompt change with ",
            Code("autoforge ab start"), " before it ships.")))
    return blocks
