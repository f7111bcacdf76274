"""Assigning projects to an experiment's arms: sticky, deterministic, unpredictable.

A project's arm is decided by a hash of the experiment's salt and the project id, so
the same project always lands in the same arm (a re-run, another machine, another
process), no table of assignments is needed to reproduce it, and nobody can steer a
project into an arm by choosing its id without knowing the salt.

A rollout keeps its holdback (the lowest draws) on the previous default at every
phase and sends a growing share of the other projects to the new version; a project
on the new version at one phase stays there at every later one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from autoforge_learn.experiments.model import Experiment

ARMS = ("control", "treatment")


def unit_draw(salt: str, project_id: str) -> float:
    """A number in [0, 1) drawn from the salt and the project id (SHA-256)."""
    digest = hashlib.sha256(f"{salt}:{project_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def treatment_share(experiment: Experiment) -> float:
    """The share of new projects sent to the treatment now (a rollout: the current
    phase's share of the projects outside the holdback)."""
    plan = experiment.rollout
    if plan is None:
        return experiment.split / 100
    return (1 - plan.holdback / 100) * plan.share / 100


def arm_of(experiment: Experiment, project_id: str) -> str:
    """``treatment`` or ``control`` for a project (see the module docstring)."""
    draw = unit_draw(experiment.salt, project_id)
    plan = experiment.rollout
    if plan is None:
        return "treatment" if draw < experiment.split / 100 else "control"
    holdback = plan.holdback / 100
    if draw < holdback:
        return "control"
    return "treatment" if (draw - holdback) / (1 - holdback) < plan.share / 100 else "control"


@dataclass(frozen=True)
class Assigned:
    """What a project runs with.

    Attributes:
        version: The prompt version to use.
        arm: ``control`` or ``treatment``; None once the experiment has ended (the
            project is not part of it and gets the version its end decided).
        phase: The rollout phase (1 for an A/B test).
    """

    version: str
    arm: str | None
    phase: int = 1


def assignment_of(experiment: Experiment, project_id: str) -> Assigned:
    """The version a project runs with under an experiment or rollout, running or
    ended (ended: the winner, the completed rollout's version, else the control)."""
    if experiment.status == "running":
        arm = arm_of(experiment, project_id)
        phase = experiment.rollout.phase if experiment.rollout is not None else 1
        return Assigned(experiment.version_of(arm), arm, max(phase, 1))
    if experiment.decision is not None and experiment.decision.winner:
        return Assigned(experiment.decision.winner, None)
    if experiment.status == "completed":
        return Assigned(experiment.treatment, None)
    return Assigned(experiment.control, None)
