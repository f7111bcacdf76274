"""Experiments and rollouts as table rows: what ``autoforge ab list`` and ``autoforge
rollout list`` print, and what the server's ``/v1/experiments`` and ``/v1/rollouts``
return (one builder for both)."""

from __future__ import annotations

from typing import Any

from autoforge_learn.experiments.model import Experiment


def summary_row(e: Experiment) -> dict[str, Any]:
    """An A/B experiment as one row: versions, status, metric, mode, split, start day
    and the winner once decided."""
    return {
        "id": e.id, "role": e.role, "control": e.control, "treatment": e.treatment,
        "status": e.status, "metric": e.metric, "mode": e.mode, "split": e.split,
        "started": e.started_at.date().isoformat(),
        "winner": e.decision.winner if e.decision else None,
    }


def rollout_row(r: Experiment) -> dict[str, Any]:
    """A rollout as one row: the new and previous versions, status, phase and share."""
    return {
        "id": r.id, "role": r.role, "version": r.treatment, "previous": r.control,
        "status": r.status, "phase": r.rollout.phase if r.rollout else None,
        "share": r.rollout.share if r.rollout else None,
        "started": r.started_at.date().isoformat(),
    }
