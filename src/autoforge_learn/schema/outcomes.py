"""Outcome metrics of a project derived from its events, defined once.

The SDK fills these when a project completes, the simulator records them, and
``autoforge recompute`` derives them again from the raw events: all three call the
functions here, so a recorded value and a recomputed one can only differ when the
data do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from autoforge_learn.schema.events import (
    EventBase,
    HumanApproval,
    ProjectCompleted,
    ProjectStarted,
    StageExecution,
)

#: Stages whose first accepted output counts as the first working prototype.
PROTOTYPE_STAGE_PREFIX = "engineer"

#: Outcomes that count as delivered, for the delivery speed rank.
DELIVERED = ("shipped", "alpha_ready")


def delivery_speed_rank(elapsed: float, prior: Sequence[float]) -> float | None:
    """Percentile of a delivery's speed among earlier deliveries of the same recipe.

    The share, in percent, of ``prior`` durations that were longer than ``elapsed``
    (ties count half), rounded to 0.1; None when there is no prior delivery.
    """
    if not prior:
        return None
    slower = sum(1 for d in prior if d > elapsed)
    ties = sum(1 for d in prior if d == elapsed)
    return round(100 * (slower + 0.5 * ties) / len(prior), 1)


def first_prototype_at(stages: Iterable[StageExecution]) -> datetime | None:
    """End of the first successful engineering stage, by end time."""
    ends = [
        s.timestamp_end
        for s in stages
        if s.succeeded
        and s.timestamp_end is not None
        and s.stage_id.startswith(PROTOTYPE_STAGE_PREFIX)
    ]
    return min(ends) if ends else None


def derived_outcome(events: Iterable[EventBase]) -> dict[str, float | int | None]:
    """Outcome metrics of one project computed from its events alone.

    * ``time_to_completion``: ``completed_at`` of the outcome minus ``created_at`` of
      the project start, in seconds;
    * ``token_cost_total``: sum of the stages' ``total_cost`` (rounded to 6 places);
    * ``tokens_total``: sum of the stages' input and output tokens;
    * ``agent_decisions_overridden``: approvals whose ``decision_aligned`` is false;
    * ``time_to_first_prototype``: :func:`first_prototype_at` minus ``created_at``;
    * ``quality_score``: :func:`autoforge_learn.schema.quality.quality_score` of
      :func:`autoforge_learn.schema.quality.quality_inputs`.

    A metric whose inputs are missing (no start event, no stage with costs) is None.
    """
    from autoforge_learn.schema.quality import quality_inputs

    items = list(events)
    started = next((e for e in items if isinstance(e, ProjectStarted)), None)
    completed = [e for e in items if isinstance(e, ProjectCompleted)]
    outcome = max(completed, key=lambda e: e.timestamp) if completed else None
    stages = [e for e in items if isinstance(e, StageExecution)]
    approvals = [e for e in items if isinstance(e, HumanApproval)]
    out: dict[str, float | int | None] = {}
    end = (outcome.completed_at or outcome.timestamp) if outcome else None
    out["time_to_completion"] = (
        max(0.0, (end - started.created_at).total_seconds()) if started and end else None
    )
    costs = [s.total_cost for s in stages if s.total_cost is not None]
    out["token_cost_total"] = round(sum(costs), 6) if costs else None
    tokens = [
        (s.input_tokens or 0) + (s.output_tokens or 0)
        for s in stages
        if s.input_tokens is not None or s.output_tokens is not None
    ]
    out["tokens_total"] = sum(tokens) if tokens else None
    out["agent_decisions_overridden"] = sum(1 for a in approvals if a.decision_aligned is False)
    prototype = first_prototype_at(stages)
    out["time_to_first_prototype"] = (
        max(0.0, (prototype - started.created_at).total_seconds())
        if started and prototype
        else None
    )
    out["quality_score"] = quality_inputs(items).score()
    return out
