"""Assigning projects to an experiment's arms: sticky, deterministic, unpredictable.

A project's arm is decided by a hash of the experiment's salt and the project id, so
the same project always lands in the same arm (a re-run, another machine, another
process), no table of assignments is needed to reproduce it, and nobody can steer a
project into an arm by choosing its id without knowing the salt.
"""

from __future__ import annotations

import hashlib

from autoforge_learn.experiments.model import Experiment

ARMS = ("control", "treatment")


def unit_draw(salt: str, project_id: str) -> float:
    """A number in [0, 1) drawn from the salt and the project id (SHA-256)."""
    digest = hashlib.sha256(f"{salt}:{project_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def arm_of(experiment: Experiment, project_id: str, *, share: float | None = None) -> str:
    """``treatment`` for the share of projects the split sends there, else ``control``.

    Args:
        experiment: The experiment.
        project_id: The project.
        share: The treatment share to use instead of the experiment's split (a rollout
            phase); a project on treatment at a share stays there at any larger share.
    """
    wanted = experiment.split / 100 if share is None else share
    return "treatment" if unit_draw(experiment.salt, project_id) < wanted else "control"
