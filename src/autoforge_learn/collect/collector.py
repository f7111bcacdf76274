"""The collector SDK: one method per moment of a pipeline run worth recording."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from autoforge_learn.collect.ids import new_event_id, survey_sampled, utc_now
from autoforge_learn.collect.redact import Redactor, redact_fields, redact_secrets
from autoforge_learn.collect.summary import write_summary
from autoforge_learn.errors import AutoforgeError
from autoforge_learn.schema.events import (
    SCHEMA_VERSION,
    DownstreamFeedback,
    Escalation,
    EventBase,
    GateEvaluation,
    HumanApproval,
    HumanSurvey,
    PerformanceMetrics,
    ProjectCompleted,
    ProjectStarted,
    SecurityScan,
    StageExecution,
    TestResults,
    check_safe_id,
)
from autoforge_learn.schema.parse import EventError, _field_errors
from autoforge_learn.settings import load_settings
from autoforge_learn.store.jsonl import JsonlAppender
from autoforge_learn.store.layout import FILE_FOR_KIND, StoreLayout, find_root, month_of

if TYPE_CHECKING:
    from autoforge_learn.collect.http_sink import HttpSink
    from autoforge_learn.collect.runs import ProjectRun

E = TypeVar("E", bound=EventBase)

Clock = Callable[[], datetime]


_log = logging.getLogger("autoforge_learn")

class Collector:
    """Records training events under ``<root>/ai/training_data/raw/``.

    Each ``on_*`` method records one moment of a pipeline run; it validates the event,
    redacts configured fields, and appends one line to the project's file for that kind
    of event. Safe to share between threads; many processes may write the same project.

    Example:
        >>> collector = Collector()
        >>> collector.on_gate_evaluation(project_id="ABC123", gate_id="api_contract_present",
        ...     validation_result="fail", validation_reason="openapi.yaml missing",
        ...     stage="architecture", agent_role="architect")

    Args:
        root: The ``.autoforge`` directory. Default: ``AUTOFORGE_HOME``, else the
            nearest ``.autoforge/`` upwards from the current directory, else ``./.autoforge``.
        redact: A function applied to every free-text field (all but the envelope's
            identifiers) before anything is written; ``True`` uses
            :func:`redact_secrets`. Default: the config file's ``collect.redact_secrets``.
        survey_sample_rate: Share of projects whose survey is recorded. Default: the
            config file's ``collect.survey_sample_rate`` (80% unless set).
        clock: Returns the current time; the simulator passes a simulated clock.
        id_factory: Returns a new event id; the simulator passes a seeded one.
        url: Send events to this ``autoforge serve`` server instead of the local files
            (see :mod:`autoforge_learn.collect.http_sink`; spooled under
            ``<root>/spool`` while the server is away).
        token: The server's write token (default ``$AUTOFORGE_TOKEN``).
        on_error: ``"raise"`` (the default, right for tests and development): a bad
            value raises :class:`~autoforge_learn.schema.parse.EventError` in the
            caller. ``"log"`` (for production pipelines): the event is dropped with a
            warning on the ``autoforge_learn`` logger, counted in :attr:`dropped`, and
            the ``on_*`` call returns None, so telemetry never stops the pipeline.
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        redact: Redactor | bool | None = None,
        survey_sample_rate: float | None = None,
        clock: Clock | None = None,
        id_factory: Callable[[], str] | None = None,
        url: str | None = None,
        token: str | None = None,
        on_error: str = "raise",
    ) -> None:
        if on_error not in ("raise", "log"):
            raise ValueError(f"on_error must be 'raise' or 'log', not {on_error!r}")
        self.on_error = on_error
        #: Events dropped (``on_error="log"``), by kind.
        self.dropped: Counter[str] = Counter()
        self.layout = StoreLayout(find_root(root))
        settings = load_settings(self.layout.config_file)
        if redact is None:
            redact = settings.collect.redact_secrets
        self._redact: Redactor | None = redact_secrets if redact is True else (redact or None)
        rate = (
            survey_sample_rate
            if survey_sample_rate is not None
            else settings.collect.survey_sample_rate
        )
        if not 0 <= rate <= 1:
            raise ValueError(f"survey_sample_rate must be between 0 and 1, got {rate}")
        self.survey_sample_rate = rate
        self.max_retries = settings.gates.max_retries
        self.clock: Clock = clock or utc_now
        self._new_id = id_factory or new_event_id
        self._appender = JsonlAppender()
        self._months: dict[str, str] = {}
        self._paths: dict[tuple[str, str], str] = {}
        #: (experiment, project) -> (arm, phase) assigned by this collector.
        self.assigned: dict[tuple[str, str], tuple[str, int]] = {}
        self.sink: HttpSink | None = None
        if url is not None:
            from autoforge_learn.collect.http_sink import HttpSink

            token = token if token is not None else os.environ.get("AUTOFORGE_TOKEN")
            self.sink = HttpSink(url, token, spool_dir=self.layout.root / "spool")

    @property
    def root(self) -> Path:
        """The ``.autoforge`` directory this collector writes under."""
        return self.layout.root

    # -- writing ----------------------------------------------------------------------

    def _build(self, model: type[E], project_id: str, fields: dict[str, Any]) -> E:
        check_safe_id(project_id)
        fields["project_id"] = project_id
        if fields.get("event_id") is None:
            fields["event_id"] = self._new_id()
        if fields.get("timestamp") is None:
            fields["timestamp"] = self.clock()
        fields.setdefault("schema_version", SCHEMA_VERSION)
        try:
            return model.model_validate(fields)
        except ValidationError as exc:
            raise EventError(_field_errors(exc)) from None

    def _month_for(self, project_id: str, moment: datetime) -> str:
        month = self._months.get(project_id)
        if month is None:
            month = self.layout.project_month(project_id) or month_of(moment)
            self._months[project_id] = month
        return month

    def path_for(self, event: EventBase) -> str:
        """The raw file an event goes to: its project's month folder and kind group."""
        key = (event.project_id, FILE_FOR_KIND[event.kind])
        path = self._paths.get(key)
        if path is None:
            month = self._month_for(event.project_id, event.timestamp)
            path = str(self.layout.raw_file(event.project_id, month, key[1]))
            self._paths[key] = path
        return path

    def record(self, event: EventBase) -> EventBase:
        """Append an already validated event to its project's raw file (redacted first,
        as every event this collector writes, when it redacts).

        Returns:
            The event, as written.
        """
        event = self._redacted(event)
        if self.sink is not None:
            self.sink.submit(event)
            return event
        line = event.__pydantic_serializer__.to_json(event, exclude_none=True)
        self._appender.append(self.path_for(event), line + b"\n")
        return event

    def record_many(self, events: Iterable[EventBase]) -> dict[str, bytes]:
        """Append already validated events, one locked write per raw file.

        Returns:
            The lines appended (bytes) by file.
        """
        lines: dict[str, list[bytes]] = {}
        for event in map(self._redacted, events):
            line = event.__pydantic_serializer__.to_json(event, exclude_none=True)
            lines.setdefault(self.path_for(event), []).append(line)
        written = {path: b"\n".join(group) + b"\n" for path, group in lines.items()}
        for path, data in written.items():
            self._appender.append(path, data)
        return written

    def _redacted(self, event: EventBase) -> EventBase:
        if self._redact is None:
            return event
        data = event.model_dump(exclude_none=True)
        cleaned = redact_fields(data, self._redact)
        # validated again only when a secret was replaced (most events hold none)
        return event if cleaned == data else type(event).model_validate(cleaned)

    def _emit(self, model: type[E], project_id: str, fields: dict[str, Any]) -> E:
        if self.on_error == "raise":
            return self.record(self._build(model, project_id, fields))  # type: ignore[return-value]
        try:
            return self.record(self._build(model, project_id, fields))  # type: ignore[return-value]
        except Exception as exc:  # telemetry must never stop the host pipeline
            default = model.model_fields["kind"].default
            kind = str(getattr(default, "value", default))
            self.dropped[kind] += 1
            known = isinstance(exc, AutoforgeError | OSError)
            _log.warning("autoforge: dropped a %s event of project %r: %s", kind,
                         project_id, exc, exc_info=not known)
            return None  # type: ignore[return-value]

    def close(self) -> None:
        """Release open files (and send what the HTTP sink holds). The collector can
        still be used afterwards."""
        if self.sink is not None:
            self.sink.close()
        self._appender.close()
        if self.dropped:
            total = sum(self.dropped.values())
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.dropped.items()))
            _log.warning("autoforge: %d events dropped so far (%s)", total, kinds)

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- collection triggers --------------------------------------------------------

    def on_project_start(self, *, project_id: str, recipe: str, **fields: Any) -> ProjectStarted:
        """Record a project's metadata (any field of :class:`ProjectStarted`).

        ``created_at`` defaults to now, ``recipe_version`` to the ``_vN`` suffix of the
        recipe name.
        """
        fields["recipe"] = recipe
        if fields.get("created_at") is None:
            fields["created_at"] = fields.get("timestamp") or self.clock()
        fields.setdefault("timestamp", fields["created_at"])
        if fields.get("recipe_version") is None:
            head, sep, tail = recipe.rpartition("_v")
            if sep and head and tail.replace(".", "").isdigit():
                fields["recipe_version"] = "v" + tail
        return self._emit(ProjectStarted, project_id, fields)

    def on_gate_evaluation(
        self, *, project_id: str, gate_id: str, validation_result: str, **fields: Any
    ) -> GateEvaluation:
        """Record one gate check (any field of :class:`GateEvaluation`); always collected."""
        fields["gate_id"] = gate_id
        fields["validation_result"] = validation_result
        return self._emit(GateEvaluation, project_id, fields)

    def on_agent_stage_completion(
        self, *, project_id: str, stage_id: str, agent_role: str, **fields: Any
    ) -> StageExecution:
        """Record one agent's run of a stage (any field of :class:`StageExecution`).

        ``duration_seconds`` is derived from ``timestamp_start``/``timestamp_end`` when
        absent, and the event's timestamp defaults to ``timestamp_end``.
        """
        fields["stage_id"] = stage_id
        fields["agent_role"] = agent_role
        end = fields.get("timestamp_end")
        if fields.get("timestamp") is None and end is not None:
            fields["timestamp"] = end
        return self._emit(StageExecution, project_id, fields)

    def on_human_approval(
        self,
        *,
        project_id: str,
        decision_type: str,
        agent_recommendation: str,
        human_decision: str,
        **fields: Any,
    ) -> HumanApproval:
        """Record a human's decision on an agent's recommendation.

        ``decision_aligned`` defaults to whether the human chose what the agent
        recommended; ``decision_id`` to a new id.
        """
        fields.update(
            decision_type=decision_type,
            agent_recommendation=agent_recommendation,
            human_decision=human_decision,
        )
        if fields.get("decision_id") is None:
            fields["decision_id"] = "dec-" + self._new_id()
        return self._emit(HumanApproval, project_id, fields)

    def on_downstream_agent_feedback(
        self, *, project_id: str, reporting_agent: str, feedback: str, severity: str, **fields: Any
    ) -> DownstreamFeedback:
        """Record a downstream agent's rejection of a prior agent's output."""
        fields.update(reporting_agent=reporting_agent, feedback=feedback, severity=severity)
        return self._emit(DownstreamFeedback, project_id, fields)

    def on_test_execution(
        self, *, project_id: str, tests_executed: int, tests_passed: int, **fields: Any
    ) -> TestResults:
        """Record test results after the QA stage (any field of :class:`TestResults`)."""
        fields.update(tests_executed=tests_executed, tests_passed=tests_passed)
        return self._emit(TestResults, project_id, fields)

    def on_security_scan(
        self, *, project_id: str, vulnerabilities_found: int, **fields: Any
    ) -> SecurityScan:
        """Record a security scan after the security stage (any field of :class:`SecurityScan`)."""
        fields["vulnerabilities_found"] = vulnerabilities_found
        return self._emit(SecurityScan, project_id, fields)

    def on_performance_measurement(
        self, *, project_id: str, within_slo: bool, **fields: Any
    ) -> PerformanceMetrics:
        """Record performance metrics (any field of :class:`PerformanceMetrics`)."""
        fields["within_slo"] = within_slo
        return self._emit(PerformanceMetrics, project_id, fields)

    def on_escalation(self, *, project_id: str, reason: str, **fields: Any) -> Escalation:
        """Record a problem handed to a human (any field of :class:`Escalation`)."""
        fields["reason"] = reason
        return self._emit(Escalation, project_id, fields)

    def on_human_survey(self, *, project_id: str, **fields: Any) -> HumanSurvey | None:
        """Record the post-project survey, for the sampled share of projects.

        Whether a project is sampled is a stable draw from its id, so asking twice gives
        the same answer. Returns None (and writes nothing) for projects not sampled.
        """
        if not survey_sampled(project_id, self.survey_sample_rate):
            return None
        return self._emit(HumanSurvey, project_id, fields)

    def on_project_completion(
        self, *, project_id: str, project_success: str, **fields: Any
    ) -> ProjectCompleted:
        """Record how a project ended, and write its ``project_<id>_summary.json``.

        The summary holds the outcome, the project's metadata and its event counts per
        kind, read back from its raw files.
        """
        fields["project_success"] = project_success
        if fields.get("completed_at") is None:
            fields["completed_at"] = fields.get("timestamp") or self.clock()
        fields.setdefault("timestamp", fields["completed_at"])
        event = self._emit(ProjectCompleted, project_id, fields)
        if self.sink is None:  # (the events are on the server, not in local files)
            self.write_summary(project_id, outcome=event)
        return event

    def write_summary(self, project_id: str, *, outcome: ProjectCompleted) -> Path:
        """Write ``project_<id>_summary.json`` from the outcome and the project's raw files."""
        month = self._month_for(project_id, outcome.timestamp)
        return write_summary(self.layout, project_id, month, outcome)

    # -- experiments ------------------------------------------------------------------

    def assign(self, experiment_id: str, project_id: str) -> str:
        """The prompt version a new project runs with under an A/B experiment or a
        rollout, recorded as an ``experiment_assignment`` event while it runs (see
        :func:`autoforge_learn.collect.assignments.assign`).

        Example:
            >>> version = collector.assign("architect-v1.2-vs-v1.1", "PRJ-0042")
        """
        from autoforge_learn.collect.assignments import assign

        return assign(self, experiment_id, project_id)

    # -- context managers -------------------------------------------------------------

    def project(self, *, project_id: str, recipe: str, **fields: Any) -> ProjectRun:
        """Start a project: ``with collector.project(project_id=..., recipe=...) as p:``.

        Records :class:`ProjectStarted` on entry. Inside, ``p.stage(...)`` times stages
        and ``p.complete(...)`` records the outcome with durations and totals filled in.
        """
        from autoforge_learn.collect.runs import ProjectRun

        return ProjectRun(self, project_id=project_id, recipe=recipe, fields=fields)
