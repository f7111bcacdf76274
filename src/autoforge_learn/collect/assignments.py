"""Assigning a new project to an experiment's arm through the SDK, recorded as an event.

The same project always gets the same version: an A/B arm follows from a hash of the
experiment's salt and the project id; a project assigned in an earlier phase of a
rollout keeps that phase's arm (read back from its own raw file). Once the experiment
has ended, the version its end decided is returned and nothing is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from autoforge_learn.schema.events import ExperimentAssignment, check_safe_id
from autoforge_learn.store.layout import FILE_FOR_KIND

if TYPE_CHECKING:
    from autoforge_learn.collect.collector import Collector

KIND = "experiment_assignment"


def assign(collector: Collector, experiment_id: str, project_id: str) -> str:
    """The version ``project_id`` runs with under ``experiment_id`` (see the module
    docstring); the assignment is recorded while the experiment runs.

    Raises:
        ExperimentError: If there is no such experiment.
    """
    from autoforge_learn.experiments.assign import assignment_of
    from autoforge_learn.experiments.store import load_experiment

    check_safe_id(project_id)
    experiment = load_experiment(collector.root, experiment_id)
    if experiment.status == "running":
        earlier = earlier_assignment(collector, experiment_id, project_id)
        if earlier is not None:
            return experiment.version_of(earlier[0])
    assigned = assignment_of(experiment, project_id)
    if assigned.arm is not None:
        collector._emit(ExperimentAssignment, project_id, {
            "experiment_id": experiment.id, "arm": assigned.arm,
            "agent_role": experiment.role, "prompt_version": assigned.version,
            "phase": assigned.phase,
        })
        collector.assigned[(experiment_id, project_id)] = (assigned.arm, assigned.phase)
    return assigned.version


def earlier_assignment(
    collector: Collector, experiment_id: str, project_id: str
) -> tuple[str, int] | None:
    """The arm and phase a project was first assigned to (by this collector, else as
    its raw file records), or None."""
    known = collector.assigned.get((experiment_id, project_id))
    if known is not None:
        return known
    month = collector.layout.project_month(project_id)
    if month is None:
        return None
    path = collector.layout.raw_file(project_id, month, FILE_FOR_KIND[KIND])
    if not path.exists():
        return None
    with path.open("rb") as lines:
        for line in lines:
            if KIND.encode() not in line:
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a bad line is the validator's to report, not ours
            if (isinstance(data, dict) and data.get("kind") == KIND
                    and data.get("experiment_id") == experiment_id
                    and data.get("arm") in ("control", "treatment")):
                found = (str(data["arm"]), int(data.get("phase") or 1))
                collector.assigned[(experiment_id, project_id)] = found
                return found
    return None
