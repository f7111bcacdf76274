"""Pydantic models of every training event.

One event is one JSON line. Every event carries the envelope (``event_id``,
``schema_version``, ``kind``, ``project_id``, ``timestamp``); the rest of its fields
depend on its ``kind``. Fields the schema does not know are kept (``extra="allow"``):
a user's data is never dropped because we did not foresee it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autoforge_learn.schema.types import (
    INT64_MAX,
    PROMPT_VERSION_PATTERN,
    SAFE_ID_PATTERN,
    SCHEMA_VERSION,
    Arm,
    ClientDomain,
    DecisionType,
    EventKind,
    ProjectSuccess,
    Severity,
    SystemContext,
    UtcDatetime,
    ValidationResult,
    check_safe_id,
    format_timestamp,
)

__all__ = [
    "EVENT_MODELS",
    "PROMPT_VERSION_PATTERN",
    "SAFE_ID_PATTERN",
    "SCHEMA_VERSION",
    "Arm",
    "ClientDomain",
    "DecisionType",
    "DownstreamFeedback",
    "Escalation",
    "Event",
    "EventBase",
    "EventKind",
    "ExperimentAssignment",
    "GateEvaluation",
    "HumanApproval",
    "HumanSurvey",
    "PerformanceMetrics",
    "ProjectCompleted",
    "ProjectStarted",
    "ProjectSuccess",
    "SecurityScan",
    "Severity",
    "StageExecution",
    "SystemContext",
    "TestResults",
    "UtcDatetime",
    "ValidationResult",
    "check_safe_id",
    "format_timestamp",
]


class EventBase(BaseModel):
    """The envelope every event carries."""

    model_config = ConfigDict(extra="allow", use_enum_values=True, validate_default=False)

    event_id: str = Field(
        min_length=1, max_length=200, description="Unique id; re-ingesting it never counts twice"
    )
    schema_version: str = Field(default=SCHEMA_VERSION, description="Version of this schema")
    kind: EventKind
    project_id: str = Field(
        pattern=SAFE_ID_PATTERN, description="Project identifier; also part of file names"
    )
    timestamp: UtcDatetime = Field(description="When the event happened (UTC)")

    @field_validator("project_id", mode="before")
    @classmethod
    def _safe_project_id(cls, value: Any) -> Any:
        if isinstance(value, str):
            check_safe_id(value)
        return value


class ProjectStarted(EventBase):
    """Project metadata, recorded once when a project starts: its recipe, domain and team."""

    kind: Literal[EventKind.PROJECT_STARTED] = EventKind.PROJECT_STARTED
    created_at: UtcDatetime
    recipe: str = Field(min_length=1, description="Recipe with its version, e.g. gis_investment_v1")
    recipe_version: str | None = Field(
        default=None, description="Version part of the recipe, e.g. v1 (derived when absent)"
    )
    client_domain: ClientDomain = ClientDomain.OTHER
    team_size: int | None = Field(default=None, ge=0, le=INT64_MAX)
    autonomy_level_used: Literal[0, 1, 2, 3] | None = None
    platform: str | None = Field(default=None, description="Target platform, e.g. web or mobile")


class StageExecution(EventBase):
    """One agent's run of one stage: the prompt it used, its output, tokens, cost and time."""

    kind: Literal[EventKind.STAGE_EXECUTION] = EventKind.STAGE_EXECUTION
    stage_id: str = Field(min_length=1)
    agent_role: str = Field(min_length=1)
    agent_model: str | None = None
    prompt_version: str | None = Field(default=None, pattern=PROMPT_VERSION_PATTERN)
    prompt_template: str | None = None
    system_context: SystemContext | None = None
    input_tokens: int | None = Field(default=None, ge=0, le=INT64_MAX)
    output_tokens: int | None = Field(default=None, ge=0, le=INT64_MAX)
    total_cost: float | None = Field(default=None, ge=0)
    cost_estimated: bool | None = Field(
        default=None, description="True when total_cost was estimated from a price table"
    )
    model_temperature: float | None = Field(default=None, ge=0, le=2)
    output_raw: str | None = None
    timestamp_start: UtcDatetime | None = None
    timestamp_end: UtcDatetime | None = None
    duration_seconds: float | None = Field(default=None, ge=0)
    confidence: float | None = Field(
        default=None, ge=0, le=100, description="The agent's stated confidence, 0-100"
    )
    lines_of_code: int | None = Field(default=None, ge=0, le=INT64_MAX)
    attempt: int = Field(
        default=1, ge=1, le=INT64_MAX, description="1 for the first run of the stage"
    )
    succeeded: bool | None = Field(
        default=None, description="Whether the stage's output was finally accepted"
    )
    upstream_stage: str | None = Field(default=None, description="Stage whose output was the input")
    upstream_agent_role: str | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _derive_duration(self) -> StageExecution:
        start, end = self.timestamp_start, self.timestamp_end
        if start is not None and end is not None:
            if end < start:
                raise ValueError("timestamp_end is before timestamp_start")
            if self.duration_seconds is None:
                self.duration_seconds = (end - start).total_seconds()
        return self


class GateEvaluation(EventBase):
    """One check of one gate: its result, the reason, retries, auto-fixes and overrides.

    A flat line with `gate_result` and `gate_result_reason` is read as one too.
    """

    kind: Literal[EventKind.GATE_EVALUATION] = EventKind.GATE_EVALUATION
    gate_id: str = Field(min_length=1)
    stage: str | None = None
    agent_role: str | None = None
    agent_model: str | None = None
    prompt_version: str | None = Field(default=None, pattern=PROMPT_VERSION_PATTERN)
    validation_timestamp: UtcDatetime | None = None
    validation_result: ValidationResult
    validation_reason: str | None = None
    retry_attempt: int = Field(default=1, ge=1, le=INT64_MAX)
    max_retries: int | None = Field(default=None, ge=1, le=INT64_MAX)
    auto_fix_applied: bool = False
    auto_fix_strategy: str | None = None
    auto_fix_success: bool | None = None
    human_override: bool = False
    human_decision: str | None = None
    escalated: bool = False


class DownstreamFeedback(EventBase):
    """A downstream agent's rejection of, or remark on, a prior agent's output."""

    kind: Literal[EventKind.DOWNSTREAM_FEEDBACK] = EventKind.DOWNSTREAM_FEEDBACK
    reporting_agent: str = Field(min_length=1)
    reporting_stage: str | None = None
    target_agent: str | None = Field(default=None, description="The agent whose output is meant")
    target_stage: str | None = None
    feedback: str
    severity: Severity
    rejected: bool = Field(default=True, description="Whether the output was sent back")


class TestResults(EventBase):
    """Results of running the QA agent's tests."""

    __test__ = False  # not a pytest test class

    kind: Literal[EventKind.TEST_RESULTS] = EventKind.TEST_RESULTS
    stage: str | None = None
    tests_written_by_qa_agent: int | None = Field(default=None, ge=0, le=INT64_MAX)
    tests_executed: int = Field(ge=0, le=INT64_MAX)
    tests_passed: int = Field(ge=0, le=INT64_MAX)
    test_coverage_percent: float | None = Field(default=None, ge=0, le=100)
    flaky_tests: int = Field(default=0, ge=0, le=INT64_MAX)


class SecurityScan(EventBase):
    """A security scan's findings, by severity."""

    kind: Literal[EventKind.SECURITY_SCAN] = EventKind.SECURITY_SCAN
    stage: str | None = None
    vulnerabilities_found: int = Field(ge=0, le=INT64_MAX)
    critical: int = Field(default=0, ge=0, le=INT64_MAX)
    major: int = Field(default=0, ge=0, le=INT64_MAX)
    minor: int = Field(default=0, ge=0, le=INT64_MAX)
    false_positives: int = Field(default=0, ge=0, le=INT64_MAX)


class PerformanceMetrics(EventBase):
    """Measured performance of the delivered software."""

    kind: Literal[EventKind.PERFORMANCE_METRICS] = EventKind.PERFORMANCE_METRICS
    page_load_time_ms: float | None = Field(default=None, ge=0)
    endpoint_latency_ms: float | None = Field(default=None, ge=0)
    memory_usage_mb: float | None = Field(default=None, ge=0)
    within_slo: bool


class HumanApproval(EventBase):
    """A human's decision on an agent's recommendation."""

    kind: Literal[EventKind.HUMAN_APPROVAL] = EventKind.HUMAN_APPROVAL
    decision_id: str = Field(min_length=1)
    decision_type: DecisionType
    agent_role: str | None = None
    stage: str | None = None
    prompt_version: str | None = Field(default=None, pattern=PROMPT_VERSION_PATTERN)
    agent_recommendation: str
    human_decision: str
    human_reasoning: str | None = None
    decision_aligned: bool | None = Field(
        default=None, description="Did the agent guess right? Derived when absent"
    )
    options_offered: list[str] = Field(
        default_factory=list, description="The options the agent laid out, in its order"
    )
    human_confidence: float | None = Field(
        default=None, ge=0, le=100, description="The human's confidence in the decision, 0-100"
    )

    @model_validator(mode="after")
    def _derive_alignment(self) -> HumanApproval:
        if self.decision_aligned is None:
            self.decision_aligned = self.human_decision.strip() == self.agent_recommendation.strip()
        return self


class HumanSurvey(EventBase):
    """The post-project survey: how the humans rated the agents."""

    kind: Literal[EventKind.HUMAN_SURVEY] = EventKind.HUMAN_SURVEY
    agent_helpfulness_overall: int = Field(ge=1, le=5)
    agent_decision_quality: int = Field(ge=1, le=5)
    gate_frustration_level: int = Field(ge=1, le=5)
    would_use_again: bool
    comments: str | None = None
    suggestions: str | None = None


class Escalation(EventBase):
    """A problem handed to a human, and how it was resolved."""

    kind: Literal[EventKind.ESCALATION] = EventKind.ESCALATION
    reason: str
    stage: str | None = None
    agent_role: str | None = None
    gate_id: str | None = None
    time_spent_escalated: float | None = Field(default=None, ge=0, description="Seconds")
    resolution: str | None = None
    resolved: bool | None = Field(default=None, description="Whether the human resolved it")
    human_effort_required: int | None = Field(default=None, ge=1, le=5)
    avoidable: bool | None = None


class ProjectCompleted(EventBase):
    """How a project ended; also written as the project's summary.json."""

    kind: Literal[EventKind.PROJECT_COMPLETED] = EventKind.PROJECT_COMPLETED
    completed_at: UtcDatetime | None = None
    project_success: ProjectSuccess
    time_to_completion: float | None = Field(default=None, ge=0, description="Seconds")
    token_cost_total: float | None = Field(default=None, ge=0)
    tokens_total: int | None = Field(default=None, ge=0, le=INT64_MAX)
    quality_score: float | None = Field(default=None, ge=0, le=100)
    delivery_speed_rank: float | None = Field(
        default=None, ge=0, le=100, description="Percentile vs prior projects of the same recipe"
    )
    agent_decisions_overridden: int | None = Field(default=None, ge=0, le=INT64_MAX)
    critical_errors_post_deployment: int | None = Field(default=None, ge=0, le=INT64_MAX)
    security_issues_missed: int | None = Field(
        default=None,
        ge=0,
        le=INT64_MAX,
        description="Vulnerabilities found after the security stage passed",
    )
    time_to_first_prototype: float | None = Field(
        default=None,
        ge=0,
        description="Seconds from start to the first accepted engineering output",
    )


class ExperimentAssignment(EventBase):
    """A project sent to an arm of an A/B experiment or a rollout, recorded when it is
    assigned: the analysis counts the project in this arm whatever happens to it next
    (intention to treat)."""

    kind: Literal[EventKind.EXPERIMENT_ASSIGNMENT] = EventKind.EXPERIMENT_ASSIGNMENT
    experiment_id: str = Field(pattern=SAFE_ID_PATTERN)
    arm: Arm
    agent_role: str = Field(min_length=1)
    prompt_version: str = Field(pattern=PROMPT_VERSION_PATTERN)
    phase: int = Field(
        default=1, ge=1, le=INT64_MAX, description="The rollout phase (1 for an A/B test)"
    )


EVENT_MODELS: dict[str, type[EventBase]] = {
    EventKind.PROJECT_STARTED: ProjectStarted,
    EventKind.STAGE_EXECUTION: StageExecution,
    EventKind.GATE_EVALUATION: GateEvaluation,
    EventKind.DOWNSTREAM_FEEDBACK: DownstreamFeedback,
    EventKind.TEST_RESULTS: TestResults,
    EventKind.SECURITY_SCAN: SecurityScan,
    EventKind.PERFORMANCE_METRICS: PerformanceMetrics,
    EventKind.HUMAN_APPROVAL: HumanApproval,
    EventKind.HUMAN_SURVEY: HumanSurvey,
    EventKind.ESCALATION: Escalation,
    EventKind.PROJECT_COMPLETED: ProjectCompleted,
    EventKind.EXPERIMENT_ASSIGNMENT: ExperimentAssignment,
}

Event = Annotated[
    ProjectStarted
    | StageExecution
    | GateEvaluation
    | DownstreamFeedback
    | TestResults
    | SecurityScan
    | PerformanceMetrics
    | HumanApproval
    | HumanSurvey
    | Escalation
    | ProjectCompleted
    | ExperimentAssignment,
    Field(discriminator="kind"),
]
