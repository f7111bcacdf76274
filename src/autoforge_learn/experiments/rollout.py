"""Staged rollout of a new prompt version, with automatic rollback.

A rollout sends a growing share of new projects (25% -> 50% -> 100%, say) to a new
version of a role and keeps a small randomized holdback on the previous default at
every phase. Each phase is compared on its own (projects of one phase against the
holdback and the not-yet-moved projects of the same phase: same time, same
conditions). The guardrails are watched after every project by an always-valid
one-sided test pooled over the phases (:func:`~autoforge_learn.experiments.arms.
harm_sequence`): when one shows a deterioration the rollout is rolled back at once
(the previous default stays, the decision goes to the changelog); when a phase holds
its projects and no guardrail deteriorates, the next phase starts; after the last,
the new version becomes the role's default.

:func:`check_rollout` reads and applies these decisions; `autoforge rollout status`
runs it (after each project, or from a scheduler).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from autoforge_learn.experiments.arms import ArmData, HarmResult, harm_sequence
from autoforge_learn.experiments.design import SRM_ALPHA, sample_ratio_p
from autoforge_learn.experiments.lifecycle import (
    check_versions,
    create,
    free_id,
    get_experiment,
    read_assignments,
)
from autoforge_learn.experiments.model import (
    Experiment,
    ExperimentError,
    Guardrail,
    Phase,
    RolloutPlan,
)
from autoforge_learn.experiments.store import experiments_lock, save_experiment

if TYPE_CHECKING:
    from autoforge_learn.experiments.analysis import Assignment, MetricResult
    from autoforge_learn.workspace import Workspace

Action = Literal["wait", "advance", "complete", "rollback", "ended"]
#: Guardrails watched when a rollout names none.
DEFAULT_GUARDRAILS = ("gate_pass_rate", "quality_score")


def start_rollout(
    ws: Workspace,
    version: str,
    *,
    steps: Sequence[int] = (25, 50, 100),
    holdback: int = 10,
    phase_projects: int = 20,
    metric: str = "gate_pass_rate",
    guardrails: Sequence[Guardrail] = (),
    alpha: float = 0.05,
    rollout_id: str | None = None,
    salt: str | None = None,
    now: datetime | None = None,
) -> Experiment:
    """Start rolling out ``version`` against its role's current default (``salt``: as
    for :func:`~autoforge_learn.experiments.lifecycle.start_experiment`).

    Raises:
        ExperimentError: If the version is not active, is already the default, its
            role has an experiment or rollout running, or the plan is invalid.
    """
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.registry import parse_version_id

    now = now or datetime.now(UTC)
    try:
        role, _, _ = parse_version_id(version)
    except ValueError as exc:
        raise ExperimentError(str(exc)) from None
    check_versions(ws, role, [version])
    default = ws.registry().default(role)
    if default is None or default.id == version:
        raise ExperimentError(f"{version} is already the default of {role}: nothing to roll out")
    watched = list(guardrails) or [Guardrail(metric=m) for m in DEFAULT_GUARDRAILS]
    for name in [metric, *(g.metric for g in watched)]:
        get_metric(name)
    try:
        plan = RolloutPlan(steps=list(steps), holdback=holdback, phase_projects=phase_projects,
                           phases=[Phase(share=steps[0], started_at=now)])
        rollout = Experiment(
            id=rollout_id or free_id(ws, f"rollout-{version}"), role=role, control=default.id,
            treatment=version, metric=metric, guardrails=watched, mode="sequential",
            alpha=alpha, salt=salt or secrets.token_hex(8), started_at=now, rollout=plan,
        )
    except ValueError as exc:
        raise ExperimentError(f"cannot start the rollout: {exc}") from None
    return create(ws, rollout.noted("running", f"phase 1: {steps[0]}% of new projects", now))


@dataclass
class PhaseResult:
    """One phase of a rollout, compared on its own.

    Attributes:
        phase: Its number (1 first).
        share: Percent of the phase's new projects sent to the new version (outside
            the holdback).
        n_control: Projects on the previous default in this phase.
        n_treatment: Projects on the new version.
        sample_ratio_p: p-value that the counts follow the phase's share.
        primary: The rollout's metric, new version against the previous default.
    """

    phase: int
    share: int
    n_control: int
    n_treatment: int
    sample_ratio_p: float
    primary: MetricResult


@dataclass
class GuardrailWatch:
    """A guardrail watched over the whole rollout (:class:`HarmResult` in words)."""

    guardrail: Guardrail
    result: HarmResult | None
    n_control: int
    n_treatment: int
    deteriorated: bool

    @property
    def verdict(self) -> str:
        if self.result is None:
            return "watching (three projects an arm needed)"
        return "deteriorated" if self.deteriorated else "no deterioration shown"


@dataclass
class RolloutStatus:
    """Where a rollout stands and what was decided.

    Attributes:
        rollout: The rollout (after the decision, when one was applied).
        phases: Each phase compared on its own.
        guardrails: Each guardrail watched over every phase.
        action: ``wait``, ``advance``, ``complete``, ``rollback`` or ``ended``.
        reason: Why, in words.
        applied: Whether the action changed the rollout (``check_rollout(apply=True)``).
    """

    rollout: Experiment
    phases: list[PhaseResult] = field(default_factory=list)
    guardrails: list[GuardrailWatch] = field(default_factory=list)
    action: Action = "wait"
    reason: str = ""
    applied: bool = False

    def to_dict(self) -> dict[str, Any]:
        from autoforge_learn.experiments.analysis import _json

        r, plan = self.rollout, self.rollout.rollout
        assert plan is not None
        return {
            "rollout": r.id, "role": r.role, "version": r.treatment, "previous": r.control,
            "status": r.status, "phase": plan.phase, "share": plan.share,
            "steps": plan.steps, "holdback": plan.holdback,
            "phase_projects": plan.phase_projects, "action": self.action,
            "reason": self.reason, "applied": self.applied,
            "phases": [{"phase": p.phase, "share": p.share, "n_control": p.n_control,
                        "n_treatment": p.n_treatment, "sample_ratio_p": _json(p.sample_ratio_p),
                        "primary": p.primary.to_dict()} for p in self.phases],
            "guardrails": [{
                "metric": g.guardrail.metric, "guardrail": g.guardrail.describe(),
                "harm": _json(g.result.harm) if g.result else None,
                "low": _json(g.result.low) if g.result else None,
                "high": _json(g.result.high) if g.result else None,
                "p_value": _json(g.result.p_value) if g.result else None,
                "n_control": g.n_control, "n_treatment": g.n_treatment,
                "verdict": g.verdict} for g in self.guardrails],
        }


def check_rollout(
    ws: Workspace, rollout_id: str, *, apply: bool = True, now: datetime | None = None
) -> RolloutStatus:
    """Analyse a rollout and (with ``apply``) act: roll back on a deteriorated
    guardrail, start the next phase when this one holds its projects, make the version
    the default after the last phase.

    Raises:
        ExperimentError: If there is no rollout by that id.
    """
    now = now or datetime.now(UTC)
    rollout = get_experiment(ws, rollout_id)
    if rollout.rollout is None:
        raise ExperimentError(f"{rollout_id} is an A/B experiment: see `autoforge ab status`")
    assignments = read_assignments(ws, rollout)
    status = RolloutStatus(rollout=rollout, phases=_phases(ws, rollout, assignments),
                           guardrails=[_watch(ws, rollout, g, assignments)
                                       for g in rollout.guardrails])
    status.action, status.reason = _decide(status)
    if apply and status.action in ("advance", "complete", "rollback"):
        status.rollout = _apply(ws, status, now)
        status.applied = True
    return status


def _phases(ws: Workspace, rollout: Experiment, assignments: Sequence[Assignment]
            ) -> list[PhaseResult]:
    from autoforge_learn.experiments.analysis import analyze_metric, metric_verdict

    plan = rollout.rollout
    assert plan is not None
    results = []
    fixed = rollout.model_copy(update={"mode": "fixed"})
    for number, phase in enumerate(plan.phases, start=1):
        mine = [a for a in assignments if a.phase == number]
        primary = analyze_metric(ws, fixed, rollout.metric, "primary", mine)
        primary.verdict = metric_verdict(primary, rollout.alpha)
        n_t = sum(a.arm == "treatment" for a in mine)
        expected = round((100 - plan.holdback) * phase.share / 100)
        results.append(PhaseResult(
            phase=number, share=phase.share, n_control=len(mine) - n_t, n_treatment=n_t,
            sample_ratio_p=sample_ratio_p(len(mine) - n_t, n_t, max(1, min(99, expected))),
            primary=primary,
        ))
    return results


def _watch(ws: Workspace, rollout: Experiment, guardrail: Guardrail,
           assignments: Sequence[Assignment]) -> GuardrailWatch:
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.experiments.analysis import arm_data

    control, treatment = arm_data(ws, rollout, guardrail.metric, assignments)
    phase_of = {a.project_id: a.phase for a in assignments}
    plan = rollout.rollout
    assert plan is not None
    strata = [(_in_phase(control, phase_of, k), _in_phase(treatment, phase_of, k))
              for k in range(1, plan.phase + 1)]
    sign = 1.0 if get_metric(guardrail.metric).lower_is_better else -1.0
    result = harm_sequence(strata, sign=sign, margin=guardrail.margin,
                           relative=guardrail.relative, alpha=rollout.alpha)
    return GuardrailWatch(
        guardrail=guardrail, result=result, n_control=control.size, n_treatment=treatment.size,
        deteriorated=result is not None and result.p_value <= rollout.alpha,
    )


def _in_phase(arm: ArmData, phase_of: dict[str, int], phase: int) -> ArmData:
    keep = [i for i, p in enumerate(arm.projects) if phase_of.get(p) == phase]
    return ArmData(
        tuple(arm.projects[i] for i in keep), arm.numerators[keep],
        None if arm.denominators is None else arm.denominators[keep],
    )


def _decide(status: RolloutStatus) -> tuple[Action, str]:
    rollout, plan = status.rollout, status.rollout.rollout
    assert plan is not None
    if rollout.status != "running":
        return "ended", f"the rollout is {rollout.status}"
    bad = [g for g in status.guardrails if g.deteriorated]
    if bad:
        detail = "; ".join(
            f"{g.guardrail.metric} worse by {g.result.harm:.3g} "
            f"(always-valid p = {g.result.p_value:.3g}, {g.n_treatment} projects on "
            f"{rollout.treatment} against {g.n_control})"
            for g in bad if g.result is not None
        )
        return "rollback", f"guardrail deteriorated: {detail}"
    current = status.phases[-1] if status.phases else None
    if current is not None and current.sample_ratio_p < SRM_ALPHA:
        return "wait", (f"phase {current.phase}: the counts do not follow the share "
                        f"(p = {current.sample_ratio_p:.2g}); check the assignment")
    done = current.n_control + current.n_treatment if current else 0
    if done < plan.phase_projects:
        return "wait", (f"phase {plan.phase} ({plan.share}%): {done} of "
                        f"{plan.phase_projects} projects; no guardrail deteriorated")
    if plan.phase >= len(plan.steps):
        return "complete", (f"every phase held its projects and no guardrail deteriorated: "
                            f"{rollout.treatment} becomes the default")
    return "advance", (f"phase {plan.phase} held {done} projects with no deterioration: "
                       f"next, {plan.steps[plan.phase]}% of new projects")


def _apply(ws: Workspace, status: RolloutStatus, now: datetime) -> Experiment:
    from autoforge_learn.experiments.model import Decision
    from autoforge_learn.registry.changelog import log_entry

    rollout, plan = status.rollout, status.rollout.rollout
    assert plan is not None
    evidence = status.to_dict()
    if status.action == "advance":
        share = plan.steps[plan.phase]
        moved = plan.model_copy(update={"phases": [*plan.phases, Phase(share=share,
                                                                         started_at=now)]})
        updated = rollout.model_copy(update={"rollout": moved}).noted(
            "running", f"phase {moved.phase}: {share}% of new projects ({status.reason})", now)
    elif status.action == "complete":
        ws.registry().set_default(rollout.treatment, reason=f"Rollout {rollout.id}: "
                                  f"{status.reason}", now=now)
        updated = rollout.noted("completed", status.reason, now)
        updated.decision = Decision(winner=rollout.treatment, reason=status.reason,
                                    evidence=evidence)
    else:
        updated = rollout.noted("rolled_back", status.reason, now)
        updated.decision = Decision(winner=rollout.control, reason=status.reason,
                                    evidence=evidence)
        log_entry(ws.registry().changelog,
                  f"{rollout.role}: rollout of {rollout.treatment} rolled back "
                  f"({now.date().isoformat()})",
                  [f"{rollout.control} stays the default.", status.reason])
    with experiments_lock(ws.root):
        save_experiment(ws.root, updated)
    return updated


@dataclass
class Overview:
    """The experiments a report shows: running A/B tests and rollouts analysed (the
    rollouts' decisions applied), and those that ended recently."""

    experiments: list[Any] = field(default_factory=list)
    rollouts: list[RolloutStatus] = field(default_factory=list)
    ended: list[Experiment] = field(default_factory=list)


def overview(ws: Workspace, *, now: datetime | None = None, recent_days: int = 30) -> Overview:
    """Analyse every running experiment and rollout (a rollout's decision is applied,
    as by ``autoforge rollout status``); list those that ended in the last
    ``recent_days`` days."""
    from datetime import timedelta

    from autoforge_learn.experiments.analysis import experiment_status
    from autoforge_learn.experiments.lifecycle import experiments

    now = now or datetime.now(UTC)
    out = Overview()
    for e in experiments(ws):
        if e.status == "running" and e.rollout is None:
            out.experiments.append(experiment_status(ws, e, read_assignments(ws, e)))
        elif e.status == "running":
            out.rollouts.append(check_rollout(ws, e.id, now=now))
    for e in experiments(ws):
        if e.status != "running" and e.ended_at and e.ended_at >= now - timedelta(recent_days):
            out.ended.append(e)
    return out
