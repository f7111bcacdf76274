"""How gate checks, feedback and escalations are linked to the output they are about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from autoforge_learn.review import OutputContext
from autoforge_learn.review.data import link_events
from autoforge_learn.schema import (
    DownstreamFeedback,
    Escalation,
    GateEvaluation,
    ProjectStarted,
    StageExecution,
)

T = datetime(2025, 6, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def stage(event_id: str, start: float, end: float, **extra) -> StageExecution:
    return StageExecution(
        event_id=event_id, project_id="P", timestamp=at(end), stage_id="architecture",
        agent_role="architect", timestamp_start=at(start), timestamp_end=at(end), **extra,
    )


def test_reruns_gates_feedback_and_escalations_link_to_the_right_output():
    first, rerun = stage("s1", 0, 2, attempt=1), stage("s2", 5, 7, attempt=2)
    other = StageExecution(event_id="s3", project_id="Q", timestamp=at(1), stage_id="qa",
                           agent_role="qa")
    events = [
        ProjectStarted(event_id="p", project_id="P", timestamp=T, created_at=T,
                       recipe="web_app_v1"),
        first, rerun, other,
        GateEvaluation(event_id="g1", project_id="P", timestamp=at(1), gate_id="api",
                       stage="architecture", agent_role="architect", validation_result="fail"),
        GateEvaluation(event_id="g2", project_id="P", timestamp=at(6), gate_id="api",
                       stage="architecture", agent_role="architect", validation_result="pass"),
        # No stage or role: taken from the latest check of its gate.
        Escalation(event_id="e1", project_id="P", timestamp=at(1.5), reason="api failed",
                   gate_id="api"),
        DownstreamFeedback(event_id="f1", project_id="P", timestamp=at(3),
                           reporting_agent="engineer", target_agent="architect",
                           target_stage="architecture", feedback="no errors", severity="major"),
        DownstreamFeedback(event_id="f2", project_id="P", timestamp=at(9),
                           reporting_agent="engineer", target_agent="architect",
                           feedback="still vague", severity="minor"),
        DownstreamFeedback(event_id="f3", project_id="P", timestamp=at(9),
                           reporting_agent="qa", target_agent="security",
                           feedback="?", severity="minor"),
        GateEvaluation(event_id="g3", project_id="P", timestamp=at(1), gate_id="x",
                       validation_result="pass"),
    ]
    data = link_events(events)

    def ids(context: OutputContext) -> tuple[list[str], list[str], list[str]]:
        return ([g.event_id for g in context.gates], [f.event_id for f in context.feedback],
                [e.event_id for e in context.escalations])

    assert ids(data.contexts["s1"]) == (["g1"], ["f1"], ["e1"])
    assert ids(data.contexts["s2"]) == (["g2"], ["f2"], [])
    assert data.contexts["s1"].project is not None
    assert data.contexts["s3"].project is None and data.contexts["s3"].quality_score is None
    assert dict(data.unlinked) == {"downstream_feedback": ["f3"], "gate_evaluation": ["g3"]}
    assert data.find("s2").output is rerun
