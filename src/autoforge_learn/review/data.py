"""The raw events manual review works on: outputs, and what is known about each.

An *output* is one ``stage_execution`` event: one agent's output for one stage. This
module reads the raw store once and links every output to its context: the project's
start (recipe), the gate checks of the stage run, downstream feedback about it and the
escalations it caused. The linking rules are documented on :class:`ReviewData` and are
the ones the review queue (spec 3.2) uses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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


def _by_end(outputs: Sequence[StageExecution]) -> list[StageExecution]:
    return sorted(outputs, key=lambda o: (end_time(o), o.event_id))


def output_during(
    outputs: Sequence[StageExecution], moment: datetime
) -> StageExecution | None:
    """The output a gate check or escalation at ``moment`` belongs to.

    The first output, by end time, that ended at or after ``moment`` (the run that was
    going on); else the last one. None when there is no candidate.
    """
    ordered = _by_end(outputs)
    for output in ordered:
        if end_time(output) >= moment:
            return output
    return ordered[-1] if ordered else None


def output_before(
    outputs: Sequence[StageExecution], moment: datetime
) -> StageExecution | None:
    """The output downstream feedback at ``moment`` is about.

    The last output, by end time, that ended at or before ``moment``; else the first
    one. None when there is no candidate.
    """
    ordered = _by_end(outputs)
    earlier = [o for o in ordered if end_time(o) <= moment]
    if earlier:
        return earlier[-1]
    return ordered[0] if ordered else None


@dataclass
class OutputContext:
    """One output with everything a reviewer needs to judge it.

    Attributes:
        output: The ``stage_execution`` event.
        project: The project's ``project_started`` event, if recorded.
        quality_score: The project's automatic quality score (spec 3.1), None while
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

    Linking rules (the candidates of an event are the outputs of the same project whose
    ``stage_id`` and ``agent_role`` equal the event's stage and role; a field the event
    lacks is not compared):

    * a gate check (``stage``, ``agent_role``) and an escalation (``stage``,
      ``agent_role``) belong to :func:`output_during` their timestamp;
    * downstream feedback (``target_stage``, ``target_agent``) is about
      :func:`output_before` its timestamp.

    An escalation with neither stage nor role but a ``gate_id`` takes them from the
    latest check of that gate in the project at or before it. An event with neither
    stage nor role is not linked (counted in ``unlinked``).

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
            KeyError: If no output, or more than one, matches.
        """
        if event_id in self.contexts:
            return self.contexts[event_id]
        matches = [k for k in self.contexts if event_id and k.startswith(event_id)]
        if len(matches) == 1:
            return self.contexts[matches[0]]
        if matches:
            raise KeyError(f"{event_id!r} matches {len(matches)} outputs; give more of the id")
        raise KeyError(f"no output (stage_execution event) with id {event_id!r}")


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


def _candidates(
    index: dict[str, list[StageExecution]], project: str, stage: str | None, role: str | None
) -> list[StageExecution] | None:
    if stage is None and role is None:
        return None
    outputs = index.get(project, [])
    return [
        o
        for o in outputs
        if (stage is None or o.stage_id == stage) and (role is None or o.agent_role == role)
    ]


def link_events(events: Sequence[EventBase], *, bad_lines: int = 0) -> ReviewData:
    """Link outputs to their context (see :class:`ReviewData` for the rules).

    Args:
        events: Events of any number of projects, in the order read.
        bad_lines: Number of unreadable lines, carried into the result.
    """
    data = ReviewData(bad_lines=bad_lines)
    per_project: dict[str, list[EventBase]] = defaultdict(list)
    by_project: dict[str, list[StageExecution]] = defaultdict(list)
    starts: dict[str, ProjectStarted] = {}
    for event in events:
        per_project[event.project_id].append(event)
        if isinstance(event, StageExecution):
            by_project[event.project_id].append(event)
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
    gate_checks: dict[tuple[str, str], GateEvaluation] = {}  # latest check so far
    for event in sorted(events, key=lambda e: (e.timestamp, e.event_id)):
        target: StageExecution | None = None
        if isinstance(event, GateEvaluation):
            found = _candidates(by_project, event.project_id, event.stage, event.agent_role)
            target = output_during(found, event.timestamp) if found else None
            gate_checks[(event.project_id, event.gate_id)] = event
        elif isinstance(event, Escalation):
            stage, role = event.stage, event.agent_role
            check = gate_checks.get((event.project_id, event.gate_id or ""))
            if stage is None and role is None and check is not None:
                stage, role = check.stage, check.agent_role
            found = _candidates(by_project, event.project_id, stage, role)
            target = output_during(found, event.timestamp) if found else None
        elif isinstance(event, DownstreamFeedback):
            found = _candidates(
                by_project, event.project_id, event.target_stage, event.target_agent
            )
            target = output_before(found, event.timestamp) if found else None
        else:
            continue
        if target is None:
            data.unlinked[str(event.kind)].append(event.event_id)
            continue
        context = data.contexts[target.event_id]
        if isinstance(event, GateEvaluation):
            context.gates.append(event)
        elif isinstance(event, Escalation):
            context.escalations.append(event)
        else:
            context.feedback.append(event)
    return data


def load_review_data(root: Path | str) -> ReviewData:
    """Read a store's raw events and link every output to its context.

    Args:
        root: The ``.autoforge`` directory.
    """
    events, bad = read_events(root)
    return link_events(events, bad_lines=bad)
