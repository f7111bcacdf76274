"""The events the detectors and labels work on: selected on the engine, fetched once.

The selection (:class:`~autoforge_learn.selection.Selection`) and the choice of
columns run as ibis expressions on the engine (DuckDB or PostgreSQL); the compact
per-kind frames that come back are shared by every detector, the loops and the labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset.fields import field as event_field

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

#: Project attributes copied onto every event frame.
PROJECT_ATTRIBUTES = ("platform", "client_domain", "recipe", "team_size")


@dataclass
class Dataset:
    """Per-kind frames (pandas) of the selected events.

    Attributes:
        projects: One row per selected project, oldest start first: ``project_id,
            started`` (its first event), ``recipe, client_domain, platform, team_size``
            and its outcome ``project_success, quality_score, time_to_completion,
            token_cost_total`` (None while it has not completed in the selection).
        gates: Gate checks with ``validation_reason``, ``auto_fix_strategy``,
            ``max_retries`` and the project's attributes.
        stages: Stage executions with tokens, confidence, upstream role, ``end`` (when
            the output was produced) and the project's attributes.
        feedback: Downstream feedback: ``agent_role`` is the target (judged) agent.
        approvals: Human approvals with recommendation, decision, options, reasoning and
            the human's confidence.
        escalations: Escalations with ``resolved``.
        selection: The selection the frames hold.
    """

    projects: Any
    gates: Any
    stages: Any
    feedback: Any
    approvals: Any
    escalations: Any
    selection: Selection | None = field(default=None, compare=False)

    @cached_property
    def runs(self) -> Any:
        """Stage executions with their linked gate checks (:func:`stage_runs`), computed
        once for every detector that reads them."""
        from autoforge_learn.dataset.runs import stage_runs

        return stage_runs(self.stages, self.gates)

    def computed_runs(self) -> Any:
        """The stage runs if they were computed already, else None."""
        return self.__dict__.get("runs")

    def keep_runs(self, runs: Any) -> None:
        """Take the stage runs computed from these frames elsewhere (by the detector
        process), unless they were computed here too (None: nothing to take)."""
        if runs is not None:
            self.__dict__.setdefault("runs", runs)


def load_dataset(ws: Workspace, selection: Selection | None = None) -> Dataset:
    """Select events on the workspace's engine and fetch the frames.

    Args:
        ws: The workspace (its index is refreshed first, once).
        selection: Which events (default: all).
    """
    from autoforge_learn.selection import Selection

    selection = selection or Selection()
    t = ws.events()
    chosen = selection.projects(t)
    events = selection.events(t)
    projects = _projects(t, events, chosen)
    attrs = projects[["project_id", *PROJECT_ATTRIBUTES]]

    def with_attrs(frame: Any) -> Any:
        out = frame.merge(attrs, on="project_id", how="left")
        return out.sort_values(["ts", "event_id"], kind="stable").reset_index(drop=True)

    return Dataset(
        projects=projects,
        gates=with_attrs(_gates(events)),
        stages=with_attrs(_stages(events)),
        feedback=with_attrs(_feedback(events)),
        approvals=with_attrs(_approvals(events)),
        escalations=with_attrs(_escalations(events)),
        selection=selection,
    )


def _projects(t: Any, events: Any, chosen: Any) -> Any:
    """One row per selected project: its start and attributes (from all its events,
    wherever the window lies) and its outcome (from the selected events)."""
    started = t.filter((t.kind == "project_started") & t.project_id.isin(chosen.project_id))
    meta = started.select(
        "project_id",
        "recipe",
        "client_domain",
        platform=event_field(started, "platform"),
        team_size=event_field(started, "team_size", "int"),
    )
    done = events.filter(events.kind == "project_completed").select(
        "project_id", "ts", "event_id", "project_success", "quality_score",
        "time_to_completion", "token_cost_total",
    )
    # a project completed twice counts its latest completion (as the aggregates do)
    outcomes = done.execute().sort_values(["project_id", "ts", "event_id"], kind="stable")
    outcomes = outcomes.drop_duplicates("project_id", keep="last").drop(columns=["ts", "event_id"])
    frame = chosen.execute()
    frame = frame.merge(
        meta.execute().drop_duplicates("project_id"), on="project_id", how="left"
    ).merge(outcomes, on="project_id", how="left")
    return frame.sort_values(["started", "project_id"], kind="stable").reset_index(drop=True)


def _gates(t: Any) -> Any:
    g = t.filter(t.kind == "gate_evaluation")
    return g.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version", "gate_id",
        "validation_result", "retry_attempt", "auto_fix_applied", "auto_fix_success",
        "human_override", "escalated",
        validation_reason=event_field(g, "validation_reason"),
        auto_fix_strategy=event_field(g, "auto_fix_strategy"),
        max_retries=event_field(g, "max_retries", "int"),
    ).execute()


def _stages(t: Any) -> Any:
    import pandas as pd

    s = t.filter(t.kind == "stage_execution")
    frame = s.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version",
        "input_tokens", "output_tokens", "total_cost", "duration_seconds", "attempt",
        "succeeded", "confidence",
        upstream_stage=event_field(s, "upstream_stage"),
        upstream_agent_role=event_field(s, "upstream_agent_role"),
        timestamp_end=event_field(s, "timestamp_end"),
    ).execute()
    # when the output was produced: timestamp_end (UTC text in extra), else the timestamp
    ends = pd.to_datetime(frame["timestamp_end"], utc=True, format="ISO8601").dt.tz_localize(None)
    frame["end"] = ends.astype(frame["ts"].dtype).fillna(frame["ts"])
    return frame.drop(columns=["timestamp_end"])


def _feedback(t: Any) -> Any:
    f = t.filter(t.kind == "downstream_feedback")
    return f.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "reporting_agent",
        "severity", "rejected",
        reporting_stage=event_field(f, "reporting_stage"),
        feedback=event_field(f, "feedback"),
    ).execute()


def _approvals(t: Any) -> Any:
    import orjson

    a = t.filter(t.kind == "human_approval")
    frame = a.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version",
        "decision_type", "decision_aligned",
        human_decision=event_field(a, "human_decision"),
        agent_recommendation=event_field(a, "agent_recommendation"),
        human_reasoning=event_field(a, "human_reasoning"),
        # as text, parsed here with orjson: ibis' JSON conversion (json.loads through
        # pandas) took a second per 150,000 approvals
        options_offered=event_field(a, "options_offered", "json").cast("string"),
        human_confidence=event_field(a, "human_confidence", "float"),
    ).execute()
    frame["options_offered"] = [
        orjson.loads(v) if isinstance(v, str) else None for v in frame["options_offered"].tolist()
    ]
    return frame


def _escalations(t: Any) -> Any:
    e = t.filter(t.kind == "escalation")
    return e.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "gate_id",
        resolved=event_field(e, "resolved", "bool"),
    ).execute()
