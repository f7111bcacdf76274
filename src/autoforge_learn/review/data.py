"""The raw events manual review works on: outputs, and what is known about each.

An *output* is one ``stage_execution`` event: one agent's output for one stage. This
module reads the raw store once and links every output to its context: the project's
start (recipe), the gate checks of the stage run, downstream feedback about it and the
escalations it caused. The linking rules are documented on :class:`ReviewData` and are
the ones the review queue uses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autoforge_learn.errors import NotFoundError
from autoforge_learn.schema.events import (
    DownstreamFeedback,
    Escalation,
    EventBase,
    GateEvaluation,
    ProjectCompleted,
    ProjectStarted,
    StageExecution,
)
from autoforge_learn.schema.quality import quality_inputs
from autoforge_learn.store.reader import RawReader

_Key = tuple[str, str | None, str | None]


def use_time(output: StageExecution) -> datetime:
    """When an output's prompt was used: ``timestamp_start``, else the event's timestamp."""
    return output.timestamp_start or output.timestamp


def end_time(output: StageExecution) -> datetime:
    """When an output was produced: ``timestamp_end``, else the event's timestamp."""
    return output.timestamp_end or output.timestamp


@dataclass
class OutputContext:
    """One output with everything a reviewer needs to judge it.

    Attributes:
        output: The ``stage_execution`` event.
        project: The project's ``project_started`` event, if recorded.
        quality_score: The project's automatic quality score, None while
            the project has not completed.
        gates: Gate checks of this stage run, in time order.
        feedback: Downstream feedback about this output, in time order.
        escalations: Escalations about this output, in time order.
    """

    output: StageExecution
    project: ProjectStarted | None = None
    quality_score: float | None = None
    gates: list[GateEvaluation] = field(default_factory=list)
    feedback: list[DownstreamFeedback] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)


@dataclass
class ReviewData:
    """Every output of a store, linked to its context.

    Gate checks and escalations belong to the output *during* them, downstream feedback
    (by ``target_stage`` and ``target_agent``) to the output *before* it, by the one
    linking rule of :mod:`autoforge_learn.dataset.links` (the detectors' stage runs use
    the same). An escalation with neither stage nor role but a ``gate_id`` takes them
    from the latest check of that gate in the project at or before it. An event with
    neither stage nor role is not linked (counted in ``unlinked``).

    Attributes:
        contexts: Every output's context by event id, in the order read.
        scores: Automatic quality score of each completed project.
        unlinked: Gate checks, feedback and escalations no output could be found for.
        bad_lines: Raw lines that are not valid events, or reuse an event_id for
            different content (skipped; ``autoforge validate`` lists them).
    """

    contexts: dict[str, OutputContext] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    unlinked: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    bad_lines: int = 0

    @property
    def outputs(self) -> list[StageExecution]:
        """Every output, in the order read."""
        return [c.output for c in self.contexts.values()]

    def find(self, event_id: str) -> OutputContext:
        """The context of an output by its event id or a unique prefix of it.

        Raises:
            NotFoundError: If no output, or more than one, matches.
        """
        if event_id in self.contexts:
            return self.contexts[event_id]
        matches = [k for k in self.contexts if event_id and k.startswith(event_id)]
        if len(matches) == 1:
            return self.contexts[matches[0]]
        if matches:
            raise NotFoundError(
                f"{event_id!r} matches {len(matches)} outputs; give more of the id"
            )
        raise NotFoundError(f"no output (stage_execution event) with id {event_id!r}")


def read_events(root: Path | str) -> tuple[list[EventBase], int]:
    """Every valid raw event of a store (first line of each id) and the invalid line count.

    Reading is :class:`~autoforge_learn.store.reader.RawReader`'s: a line is invalid if it
    is torn, not JSON, not a valid event, or reuses an event_id for different content
    (``autoforge validate`` lists them).

    Args:
        root: The ``.autoforge`` directory.
    """
    reader = RawReader.of_store(root)
    events = reader.events()
    return events, reader.summary.invalid_lines


def link_events(events: Sequence[EventBase], *, bad_lines: int = 0) -> ReviewData:
    """Link outputs to their context (see :class:`ReviewData` for the rules).

    Args:
        events: Events of any number of projects, in the order read.
        bad_lines: Number of unreadable lines, carried into the result.
    """
    data = ReviewData(bad_lines=bad_lines)
    per_project: dict[str, list[EventBase]] = defaultdict(list)
    starts: dict[str, ProjectStarted] = {}
    for event in events:
        per_project[event.project_id].append(event)
        if isinstance(event, StageExecution):
            data.contexts[event.event_id] = OutputContext(output=event)
        elif isinstance(event, ProjectStarted):
            starts.setdefault(event.project_id, event)
    for project, items in per_project.items():
        if any(isinstance(e, ProjectCompleted) for e in items):
            data.scores[project] = quality_inputs(items).score()
    for context in data.contexts.values():
        project = context.output.project_id
        context.project = starts.get(project)
        context.quality_score = data.scores.get(project)
    ordered = sorted(
        (e for e in events if isinstance(e, GateEvaluation | Escalation | DownstreamFeedback)),
        key=lambda e: (e.timestamp, e.event_id),
    )
    for event, output_id in zip(ordered, _targets(ordered, data), strict=True):
        if output_id is None:
            data.unlinked[str(event.kind)].append(event.event_id)
            continue
        context = data.contexts[output_id]
        if isinstance(event, GateEvaluation):
            context.gates.append(event)
        elif isinstance(event, Escalation):
            context.escalations.append(event)
        else:
            context.feedback.append(event)
    return data


def _targets(ordered: Sequence[EventBase], data: ReviewData) -> list[str | None]:
    """The output each event (in time order) is about, by the one linking rule of
    :mod:`autoforge_learn.dataset.links`. An escalation naming only a gate takes its
    stage and role from the latest check of that gate so far."""
    import pandas as pd

    from autoforge_learn.dataset.links import link_events as link

    latest: dict[tuple[str, str], GateEvaluation] = {}
    rows: list[tuple[str, str | None, str | None, Any, str]] = []
    for event in ordered:
        if isinstance(event, GateEvaluation):
            rows.append((event.project_id, event.stage, event.agent_role, event.timestamp,
                         "during"))
            latest[(event.project_id, event.gate_id)] = event
        elif isinstance(event, Escalation):
            stage, role = event.stage, event.agent_role
            check = latest.get((event.project_id, event.gate_id or ""))
            if stage is None and role is None and check is not None:
                stage, role = check.stage, check.agent_role
            rows.append((event.project_id, stage, role, event.timestamp, "during"))
        elif isinstance(event, DownstreamFeedback):
            rows.append((event.project_id, event.target_stage, event.target_agent,
                         event.timestamp, "before"))
    frame = pd.DataFrame(rows, columns=["project_id", "stage", "agent_role", "ts", "rule"])
    outputs = pd.DataFrame(
        [(o.project_id, o.stage_id, o.agent_role, end_time(o), o.event_id) for o in data.outputs],
        columns=["project_id", "stage", "agent_role", "end", "event_id"],
    )
    linked = pd.Series([None] * len(frame), dtype=object)
    for rule in ("during", "before"):
        mine = frame["rule"] == rule
        if mine.any():
            linked[mine] = link(frame[mine], outputs, rule)
    return [None if v is None or v != v else str(v) for v in linked.tolist()]


def load_review_data(root: Path | str) -> ReviewData:
    """Read a store's raw events and link every output to its context.

    Args:
        root: The ``.autoforge`` directory.
    """
    events, bad = read_events(root)
    return link_events(events, bad_lines=bad)
