"""An A/B experiment's life: start, assign, read, conclude or stop.

Every function takes the :class:`~autoforge_learn.workspace.Workspace`; the experiment
files change under the store's experiments lock, the prompt registry records the
decision (a new default, the loser archived) in its changelog.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from autoforge_learn.experiments.model import (
    Decision,
    Experiment,
    ExperimentError,
    Guardrail,
    Mode,
)
from autoforge_learn.experiments.store import (
    experiment_path,
    experiments_lock,
    list_experiments,
    load_experiment,
    save_experiment,
)

if TYPE_CHECKING:
    from autoforge_learn.experiments.analysis import Assignment, ExperimentStatus
    from autoforge_learn.workspace import Workspace

#: The event kind an assignment is recorded as.
ASSIGNMENT_KIND = "experiment_assignment"


def start_experiment(
    ws: Workspace,
    *,
    role: str,
    control: str,
    treatment: str,
    split: int = 50,
    metric: str = "gate_pass_rate",
    secondary: Sequence[str] = (),
    guardrails: Sequence[Guardrail] = (),
    planned_projects: int | None = None,
    mode: Mode = "fixed",
    alpha: float = 0.05,
    experiment_id: str | None = None,
    salt: str | None = None,
    now: datetime | None = None,
) -> Experiment:
    """Start an A/B test of two versions of a role and write it to the store.

    ``salt`` (default: 16 random hex digits) decides every project's arm; give one only
    to reproduce an assignment.

    Raises:
        ExperimentError: If a version is not active, a metric unknown, another
            experiment or rollout of the role is running, the id is taken, or the
            design cannot reach a verdict (the reason is given).
    """
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.experiments.design import design_problem

    now = now or datetime.now(UTC)
    check_versions(ws, role, (control, treatment))
    definition = get_metric(metric)
    for name in [*secondary, *(g.metric for g in guardrails)]:
        get_metric(name)
    problem = design_problem(planned_projects, split, alpha=alpha,
                             continuous=definition.kind != "ratio")
    if problem is not None:
        raise ExperimentError(f"this design cannot reach a verdict: {problem}")
    experiment_id = experiment_id or free_id(ws, _default_id(role, treatment, control))
    try:
        experiment = Experiment(
            id=experiment_id, role=role, control=control, treatment=treatment, split=split,
            metric=metric, secondary=list(secondary), guardrails=list(guardrails),
            planned_projects=planned_projects, mode=mode, alpha=alpha,
            salt=salt or secrets.token_hex(8), started_at=now,
        )
    except ValueError as exc:
        raise ExperimentError(f"cannot start the experiment: {exc}") from None
    return create(ws, experiment.noted("running", "started", now))


def create(ws: Workspace, experiment: Experiment) -> Experiment:
    """Write a new experiment or rollout; refuse when its id is taken or its role has
    one running (two would assign the same projects twice)."""
    with experiments_lock(ws.root):
        if experiment_path(ws.root, experiment.id).exists():
            raise ExperimentError(f"an experiment {experiment.id!r} already exists; "
                                  "choose another --id")
        busy = running_for(ws, experiment.role)
        if busy is not None:
            raise ExperimentError(
                f"{busy.kind} {busy.id!r} is running on {experiment.role}; conclude or stop "
                "it first (one experiment or rollout per role at a time)"
            )
        save_experiment(ws.root, experiment)
    return experiment


def check_versions(ws: Workspace, role: str, versions: Sequence[str]) -> None:
    """Every version is an active version of ``role`` in the registry."""
    registry = ws.registry()
    active = {v.id for v in registry.versions(role, include_archived=False)}
    for version in versions:
        if version not in active:
            known = ", ".join(sorted(active)) or "none"
            raise ExperimentError(
                f"{version} is not an active prompt version of {role} (active: {known})"
            )


def _default_id(role: str, treatment: str, control: str) -> str:
    def short(version: str) -> str:
        return version.removeprefix(f"{role}.")

    return f"{role}-{short(treatment)}-vs-{short(control)}"


def free_id(ws: Workspace, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... when taken (a default id only; an id
    the user gives is refused when taken)."""
    taken = {e.id for e in list_experiments(ws.root)}
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate


def running_for(ws: Workspace, role: str) -> Experiment | None:
    """The running experiment or rollout of a role, if any."""
    return next((e for e in list_experiments(ws.root)
                 if e.role == role and e.status == "running"), None)


def get_experiment(ws: Workspace, experiment_id: str) -> Experiment:
    """One experiment or rollout by id."""
    return load_experiment(ws.root, experiment_id)


def experiments(ws: Workspace, *, kind: str | None = None) -> list[Experiment]:
    """Every experiment (``kind="experiment"``), rollout (``"rollout"``) or both."""
    return [e for e in list_experiments(ws.root) if kind is None or e.kind == kind]


def read_assignments(ws: Workspace, experiment: Experiment) -> list[Assignment]:
    """The projects assigned to an experiment's arms, in the order they were assigned:
    each project's first assignment event (a re-assignment returns the same arm and is
    not counted twice)."""
    from autoforge_learn.experiments.analysis import Assignment

    t = ws.events()
    rows = (
        t.filter((t.kind == ASSIGNMENT_KIND) & (t.experiment_id == experiment.id))
        .select("project_id", "arm", "phase", "ts", "event_id")
        .order_by(["ts", "event_id"])
        .to_pyarrow()
        .to_pylist()
    )
    seen: dict[str, Assignment] = {}
    for row in rows:
        if row["project_id"] not in seen:
            seen[row["project_id"]] = Assignment(
                project_id=row["project_id"], arm=row["arm"], order=len(seen),
                phase=int(row["phase"] or 1),
            )
    return list(seen.values())


def experiment_status(ws: Workspace, experiment_id: str) -> ExperimentStatus:
    """Where an A/B test stands (see :class:`ExperimentStatus`)."""
    from autoforge_learn.experiments.analysis import experiment_status as analyse

    experiment = get_experiment(ws, experiment_id)
    if experiment.rollout is not None:
        raise ExperimentError(f"{experiment_id} is a rollout: see `autoforge rollout status`")
    return analyse(ws, experiment, read_assignments(ws, experiment))


def conclude_experiment(
    ws: Workspace, experiment_id: str, *, winner: str | None = None, reason: str | None = None,
    now: datetime | None = None,
) -> Experiment:
    """End an A/B test with a decision.

    Without ``winner`` the evidence decides: the treatment wins when the primary
    metric is significantly better (sample ratio sound, every guardrail shown to
    hold); the control wins when it is significantly better; otherwise nothing is
    decided and ``winner`` must be given. The winner becomes the role's default, the
    loser is archived, and the decision with its evidence goes to the experiment's
    file and the prompt changelog.

    Raises:
        ExperimentError: If the experiment is not running, the named winner is not one
            of its versions, or the evidence does not decide and no winner is named.
    """
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.experiments.analysis import conclusion

    now = now or datetime.now(UTC)
    experiment = _running(ws, experiment_id)
    status = experiment_status(ws, experiment_id)
    evidence = status.to_dict()
    chosen = winner or _evident_winner(status, get_metric(experiment.metric).lower_is_better)
    if chosen is None:
        raise ExperimentError(
            f"the evidence does not decide: {conclusion(status)} Name the version to keep "
            f"with --winner {experiment.control} (or {experiment.treatment}), or stop the "
            "experiment."
        )
    if chosen not in (experiment.control, experiment.treatment):
        raise ExperimentError(f"--winner must be {experiment.control} or {experiment.treatment}")
    loser = experiment.treatment if chosen == experiment.control else experiment.control
    why = reason or (conclusion(status) if winner is None else
                     f"chosen by hand (--winner); the evidence said: {conclusion(status)}")
    registry = ws.registry()
    registry.set_default(chosen, reason=f"Experiment {experiment.id}: {why}", now=now)
    registry.deprecate(loser, now=now)
    decided = experiment.noted("concluded", f"winner {chosen}; {loser} archived", now)
    decided.decision = Decision(winner=chosen, reason=why, evidence=evidence)
    with experiments_lock(ws.root):
        save_experiment(ws.root, decided)
    return decided


def _evident_winner(status: ExperimentStatus, lower_is_better: bool) -> str | None:
    e, primary = status.experiment, status.primary
    if status.sample_ratio_mismatch or primary.p_value is None or primary.effect is None:
        return None
    if status.underpowered and e.mode == "fixed":
        return None
    if primary.p_value > e.alpha:
        return None
    treatment_better = (primary.effect < 0) == lower_is_better
    if not treatment_better:
        return e.control
    guardrails_hold = all(m.verdict == "holds" for m in status.metrics if m.role == "guardrail")
    return e.treatment if guardrails_hold else None


def stop_experiment(
    ws: Workspace, experiment_id: str, *, reason: str, now: datetime | None = None
) -> Experiment:
    """End an experiment or rollout without a decision: the default stays as it is and
    new projects are no longer assigned (they get the role's default)."""
    now = now or datetime.now(UTC)
    experiment = _running(ws, experiment_id)
    stopped = experiment.noted("stopped", reason, now)
    with experiments_lock(ws.root):
        save_experiment(ws.root, stopped)
    return stopped


def _running(ws: Workspace, experiment_id: str) -> Experiment:
    experiment = get_experiment(ws, experiment_id)
    if experiment.status != "running":
        raise ExperimentError(f"{experiment_id} is {experiment.status}, not running")
    return experiment
