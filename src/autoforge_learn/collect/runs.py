"""Context managers for the natural shape of agent code: a project made of stages.

with collector.project(project_id="ABC123", recipe="gis_investment_v1") as p:
    with p.stage(stage_id="architecture", agent_role="architect",
                 agent_model="claude-3-5-sonnet", prompt_version="architect.v2.3") as s:
        s.gate(gate_id="api_contract_present", validation_result="pass")
        s.add_usage(input_tokens=1200, output_tokens=800, total_cost=0.02)
    p.complete(project_success="shipped", quality_score=88)
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from autoforge_learn.schema.events import (
    DownstreamFeedback,
    Escalation,
    GateEvaluation,
    HumanApproval,
    HumanSurvey,
    PerformanceMetrics,
    ProjectCompleted,
    ProjectStarted,
    SecurityScan,
    StageExecution,
    TestResults,
    ValidationResult,
)
from autoforge_learn.schema.outcomes import PROTOTYPE_STAGE_PREFIX

if TYPE_CHECKING:
    from autoforge_learn.collect.collector import Collector


class ProjectRun:
    """One project in progress; records its start on entry. Made by ``Collector.project``."""

    def __init__(
        self, collector: Collector, *, project_id: str, recipe: str, fields: dict[str, Any]
    ) -> None:
        self.collector = collector
        self.project_id = project_id
        self.recipe = recipe
        self._start_fields = fields
        self.started: ProjectStarted | None = None
        self.completed: ProjectCompleted | None = None
        self.stages: list[StageExecution] = []
        self.approvals: list[HumanApproval] = []
        self.first_prototype_at: datetime | None = None

    def __enter__(self) -> ProjectRun:
        self.started = self.collector.on_project_start(
            project_id=self.project_id, recipe=self.recipe, **self._start_fields
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # An unfinished project records no outcome: only the pipeline knows whether it
        # was blocked, cancelled or will be resumed.
        return None

    @property
    def created_at(self) -> datetime:
        if self.started is None:
            raise RuntimeError("the project has not started: use it as a context manager")
        return self.started.created_at

    def stage(self, *, stage_id: str, agent_role: str, **fields: Any) -> StageRun:
        """Time one stage: ``with p.stage(stage_id=..., agent_role=...) as s:``.

        ``upstream_stage`` and ``upstream_agent_role`` default to the previous stage of
        this project (the handoff), ``attempt`` to one more than the last run of the
        same stage.
        """
        if self.stages:
            previous = self.stages[-1]
            if previous.stage_id != stage_id:
                fields.setdefault("upstream_stage", previous.stage_id)
                fields.setdefault("upstream_agent_role", previous.agent_role)
            else:
                fields.setdefault("upstream_stage", previous.upstream_stage)
                fields.setdefault("upstream_agent_role", previous.upstream_agent_role)
        fields.setdefault("attempt", 1 + sum(1 for s in self.stages if s.stage_id == stage_id))
        return StageRun(self, stage_id=stage_id, agent_role=agent_role, fields=fields)

    def approval(
        self, *, decision_type: str, agent_recommendation: str, human_decision: str, **fields: Any
    ) -> HumanApproval:
        """Record a human approval decision in this project."""
        event = self.collector.on_human_approval(
            project_id=self.project_id,
            decision_type=decision_type,
            agent_recommendation=agent_recommendation,
            human_decision=human_decision,
            **fields,
        )
        self.approvals.append(event)
        return event

    def tests(self, *, tests_executed: int, tests_passed: int, **fields: Any) -> TestResults:
        """Record test results in this project."""
        return self.collector.on_test_execution(
            project_id=self.project_id,
            tests_executed=tests_executed,
            tests_passed=tests_passed,
            **fields,
        )

    def security_scan(self, *, vulnerabilities_found: int, **fields: Any) -> SecurityScan:
        """Record a security scan in this project."""
        return self.collector.on_security_scan(
            project_id=self.project_id, vulnerabilities_found=vulnerabilities_found, **fields
        )

    def performance(self, *, within_slo: bool, **fields: Any) -> PerformanceMetrics:
        """Record performance metrics in this project."""
        return self.collector.on_performance_measurement(
            project_id=self.project_id, within_slo=within_slo, **fields
        )

    def escalation(self, *, reason: str, **fields: Any) -> Escalation:
        """Record an escalation to a human in this project."""
        return self.collector.on_escalation(project_id=self.project_id, reason=reason, **fields)

    def survey(self, **fields: Any) -> HumanSurvey | None:
        """Record the post-project survey, if this project is in the sample."""
        return self.collector.on_human_survey(project_id=self.project_id, **fields)

    def complete(self, *, project_success: str, **fields: Any) -> ProjectCompleted:
        """Record the outcome; fills what the run knows when not given.

        Filled: ``time_to_completion`` (seconds since the start), ``token_cost_total``
        and ``tokens_total`` (sums over the stages recorded here),
        ``agent_decisions_overridden`` (approvals not aligned) and
        ``time_to_first_prototype`` (start to the first successful engineering stage).
        """
        now = fields.get("completed_at") or self.collector.clock()
        fields["completed_at"] = now
        fields.setdefault("time_to_completion", max(0.0, (now - self.created_at).total_seconds()))
        costs = [s.total_cost for s in self.stages if s.total_cost is not None]
        if costs:
            fields.setdefault("token_cost_total", round(sum(costs), 6))
        tokens = [
            (s.input_tokens or 0) + (s.output_tokens or 0)
            for s in self.stages
            if s.input_tokens is not None or s.output_tokens is not None
        ]
        if tokens:
            fields.setdefault("tokens_total", sum(tokens))
        fields.setdefault(
            "agent_decisions_overridden",
            sum(1 for a in self.approvals if a.decision_aligned is False),
        )
        if self.first_prototype_at is not None:
            fields.setdefault(
                "time_to_first_prototype",
                max(0.0, (self.first_prototype_at - self.created_at).total_seconds()),
            )
        self.completed = self.collector.on_project_completion(
            project_id=self.project_id, project_success=project_success, **fields
        )
        return self.completed


class StageRun:
    """One stage in progress; records :class:`StageExecution` on exit.

    ``succeeded`` defaults to False when the block raised, else to whether every gate
    checked in the stage finally passed (or was fixed or overridden).
    """

    def __init__(
        self, project: ProjectRun, *, stage_id: str, agent_role: str, fields: dict[str, Any]
    ) -> None:
        self.project = project
        self.stage_id = stage_id
        self.agent_role = agent_role
        self.fields = fields
        self.gates: list[GateEvaluation] = []
        self.event: StageExecution | None = None
        self._started: datetime | None = None

    @property
    def collector(self) -> Collector:
        return self.project.collector

    def __enter__(self) -> StageRun:
        self._started = self.fields.get("timestamp_start") or self.collector.clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fields = dict(self.fields)
        fields.setdefault("timestamp_start", self._started)
        fields.setdefault("timestamp_end", self.collector.clock())
        if exc is not None:
            fields["succeeded"] = False
            fields.setdefault("error", f"{type(exc).__name__}: {exc}")
        elif fields.get("succeeded") is None:
            # A stage that ends normally succeeded unless a gate's last word was a failure.
            fields["succeeded"] = self._gates_finally_passed()
        self.event = self.collector.on_agent_stage_completion(
            project_id=self.project.project_id,
            stage_id=self.stage_id,
            agent_role=self.agent_role,
            **fields,
        )
        self.project.stages.append(self.event)
        if (
            self.event.succeeded
            and self.project.first_prototype_at is None
            and self.stage_id.startswith(PROTOTYPE_STAGE_PREFIX)
        ):
            self.project.first_prototype_at = self.event.timestamp_end

    def _gates_finally_passed(self) -> bool:
        last: dict[str, GateEvaluation] = {}
        for gate in self.gates:
            last[gate.gate_id] = gate
        return all(
            g.validation_result == ValidationResult.PASS or g.human_override or g.auto_fix_success
            for g in last.values()
        )

    def update(self, **fields: Any) -> None:
        """Set fields of the stage's event (tokens, output_raw, confidence, ...)."""
        self.fields.update(fields)

    def add_usage(
        self,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        total_cost: float | None = None,
    ) -> None:
        """Add one model call's usage to the stage's totals."""
        self.fields["input_tokens"] = (self.fields.get("input_tokens") or 0) + input_tokens
        self.fields["output_tokens"] = (self.fields.get("output_tokens") or 0) + output_tokens
        if total_cost is not None:
            self.fields["total_cost"] = (self.fields.get("total_cost") or 0.0) + total_cost

    def gate(self, *, gate_id: str, validation_result: str, **fields: Any) -> GateEvaluation:
        """Record a gate check of this stage's output.

        ``stage``, ``agent_role``, ``agent_model`` and ``prompt_version`` come from the
        stage; ``retry_attempt`` defaults to one more than this gate's last check here.
        """
        fields.setdefault("stage", self.stage_id)
        fields.setdefault("agent_role", self.agent_role)
        for name in ("agent_model", "prompt_version"):
            if self.fields.get(name) is not None:
                fields.setdefault(name, self.fields[name])
        fields.setdefault("retry_attempt", 1 + sum(1 for g in self.gates if g.gate_id == gate_id))
        fields.setdefault("max_retries", self.collector.max_retries)
        event = self.collector.on_gate_evaluation(
            project_id=self.project.project_id,
            gate_id=gate_id,
            validation_result=validation_result,
            **fields,
        )
        self.gates.append(event)
        return event

    def downstream_feedback(
        self, *, feedback: str, severity: str, **fields: Any
    ) -> DownstreamFeedback:
        """Record this stage's agent rejecting (or remarking on) upstream output.

        ``target_stage``/``target_agent`` default to this stage's upstream.
        """
        fields.setdefault("reporting_stage", self.stage_id)
        if self.fields.get("upstream_stage") is not None:
            fields.setdefault("target_stage", self.fields["upstream_stage"])
        if self.fields.get("upstream_agent_role") is not None:
            fields.setdefault("target_agent", self.fields["upstream_agent_role"])
        return self.collector.on_downstream_agent_feedback(
            project_id=self.project.project_id,
            reporting_agent=self.agent_role,
            feedback=feedback,
            severity=severity,
            **fields,
        )
