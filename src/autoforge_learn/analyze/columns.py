"""The normalized events table: one row per event, a typed column for every field an
analysis uses, the rest of the event kept as JSON in ``extra``.

Column names follow the pydantic models of :mod:`autoforge_learn.schema.events`, with
three unifications so that one column means one thing across kinds:

* ``stage``: ``stage_id`` of a stage execution, ``target_stage`` of downstream feedback
  (the stage whose output was judged), else the event's ``stage``.
* ``agent_role``: ``target_agent`` of downstream feedback (the agent whose output was
  judged), else the event's ``agent_role``.
* ``validation_result``: also read from the spec's flat spelling ``gate_result``.
"""

from __future__ import annotations

# Kept free of pydantic imports so that a warm query starts fast;
# ``verify_against_models`` (run by the tests) checks these against the models.
_K_PROJECT_STARTED = "project_started"
_K_STAGE = "stage_execution"
_K_GATE = "gate_evaluation"
_K_FEEDBACK = "downstream_feedback"
_K_TESTS = "test_results"
_K_SECURITY = "security_scan"
_K_PERF = "performance_metrics"
_K_APPROVAL = "human_approval"
_K_SURVEY = "human_survey"
_K_ESCALATION = "escalation"
_K_COMPLETED = "project_completed"
_K_ASSIGNMENT = "experiment_assignment"

#: Typed columns of the events table, in order: name -> portable SQL type name
#: (``VARCHAR``, ``BIGINT``, ``DOUBLE``, ``BOOLEAN``, ``TIMESTAMP``, ``JSON``).
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "kind": "VARCHAR",
    "project_id": "VARCHAR",
    "ts": "TIMESTAMP",
    "month": "VARCHAR",
    "source_file": "VARCHAR",
    "stage": "VARCHAR",
    "agent_role": "VARCHAR",
    "agent_model": "VARCHAR",
    "prompt_version": "VARCHAR",
    "gate_id": "VARCHAR",
    "validation_result": "VARCHAR",
    "retry_attempt": "BIGINT",
    "auto_fix_applied": "BOOLEAN",
    "auto_fix_success": "BOOLEAN",
    "human_override": "BOOLEAN",
    "escalated": "BOOLEAN",
    "input_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "total_cost": "DOUBLE",
    "duration_seconds": "DOUBLE",
    "lines_of_code": "BIGINT",
    "attempt": "BIGINT",
    "succeeded": "BOOLEAN",
    "confidence": "DOUBLE",
    "reporting_agent": "VARCHAR",
    "severity": "VARCHAR",
    "rejected": "BOOLEAN",
    "tests_executed": "BIGINT",
    "tests_passed": "BIGINT",
    "test_coverage_percent": "DOUBLE",
    "flaky_tests": "BIGINT",
    "vulnerabilities_found": "BIGINT",
    "false_positives": "BIGINT",
    "within_slo": "BOOLEAN",
    "decision_type": "VARCHAR",
    "decision_aligned": "BOOLEAN",
    "recipe": "VARCHAR",
    "client_domain": "VARCHAR",
    "project_success": "VARCHAR",
    "quality_score": "DOUBLE",
    "time_to_first_prototype": "DOUBLE",
    "time_to_completion": "DOUBLE",
    "security_issues_missed": "BIGINT",
    "token_cost_total": "DOUBLE",
    "experiment_id": "VARCHAR",
    "arm": "VARCHAR",
    "phase": "BIGINT",
    "extra": "JSON",
}

#: Columns filled by the indexer rather than read from a key of the same name.
DERIVED_COLUMNS = ("ts", "month", "source_file", "extra")

#: JSON keys that feed a differently named column (kept out of ``extra`` too).
ALIAS_KEYS = ("timestamp", "stage_id", "target_stage", "target_agent", "gate_result")

#: Required fields per kind that no column holds: read only to validate the event.
CHECK_KEYS: dict[str, tuple[str, ...]] = {
    _K_FEEDBACK: ("feedback",),
    _K_APPROVAL: ("decision_id", "agent_recommendation", "human_decision"),
    _K_SURVEY: (
        "agent_helpfulness_overall",
        "agent_decision_quality",
        "gate_frustration_level",
        "would_use_again",
    ),
    _K_ESCALATION: ("reason",),
}

#: Allowed values of enum columns (from the schema's enums).
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "validation_result": ("pass", "fail", "ambiguous"),
    "severity": ("critical", "major", "minor"),
    "decision_type": ("feature_priority", "architecture_choice", "tech_stack", "risk_acceptance"),
    "client_domain": ("saas", "fintech", "healthtech", "ecommerce", "analytics", "other"),
    "project_success": ("shipped", "alpha_ready", "blocked", "cancelled"),
    "arm": ("control", "treatment"),
}

KINDS: tuple[str, ...] = (
    _K_PROJECT_STARTED,
    _K_STAGE,
    _K_GATE,
    _K_FEEDBACK,
    _K_TESTS,
    _K_SECURITY,
    _K_PERF,
    _K_APPROVAL,
    _K_SURVEY,
    _K_ESCALATION,
    _K_COMPLETED,
    _K_ASSIGNMENT,
)

_ENVELOPE = ("event_id", "kind", "schema_version", "project_id", "timestamp")

#: The keys read from each raw file group (``gates``, ``execution``, ``feedback``);
#: fewer keys make the bulk read faster. A file holding a kind outside its group is
#: re-read with every key (``"all"``).
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "gates": (
        "event_id",
        "kind",
        "project_id",
        "timestamp",
        "gate_id",
        "stage",
        "agent_role",
        "agent_model",
        "prompt_version",
        "gate_result",
        "validation_result",
        "retry_attempt",
        "auto_fix_applied",
        "auto_fix_success",
        "human_override",
        "escalated",
    ),
}
GROUP_KINDS: dict[str, tuple[str, ...]] = {
    "gates": (_K_GATE,),
    "execution": (
        _K_PROJECT_STARTED, _K_STAGE, _K_TESTS, _K_SECURITY, _K_PERF, _K_COMPLETED, _K_ASSIGNMENT,
    ),
    "feedback": (_K_FEEDBACK, _K_APPROVAL, _K_SURVEY, _K_ESCALATION),
}


def _model_keys(kinds: tuple[str, ...]) -> set[str]:
    from autoforge_learn.schema.events import EVENT_MODELS

    keys: set[str] = set()
    for kind in kinds:
        keys.update(EVENT_MODELS[kind].model_fields)
    return keys


def source_keys(group: str) -> tuple[str, ...]:
    """The JSON keys to read for a file group (``all`` for every key any column needs)."""
    if group in GROUP_KEYS:
        return GROUP_KEYS[group]
    wanted = (
        set(EVENT_COLUMNS) - set(DERIVED_COLUMNS)
        | set(ALIAS_KEYS)
        | {k for keys in CHECK_KEYS.values() for k in keys}
        | set(_ENVELOPE)
    )
    if group != "all":
        kinds = GROUP_KINDS[group]
        allowed = _model_keys(kinds) | {"gate_result"} | set(_ENVELOPE)
        wanted &= allowed
        wanted |= {"gate_id"}  # a flat gate line in a wrong file is still recognised
    return tuple(sorted(wanted))


#: Keys of the spec's flat example that have no model field but are worth keeping.
SPEC_EXTRA_KEYS = ("gate_result_reason", "downstream_feedback")


#: A stage's input and output texts: left in the raw files (``autoforge export`` and
#: ``autoforge review`` read them there). No analysis reads them, and in the index they
#: made up half of the bytes and of the build time (measured on 36,000 simulated projects).
PAYLOAD_KEYS = ("prompt_template", "system_context", "output_raw")


def extra_keys(group: str) -> tuple[str, ...]:
    """Known keys without a typed column, kept in ``extra`` (JSON): the fields of the
    group's models that no column holds, and the spec's flat extras. Keys the schema does
    not know, and the :data:`PAYLOAD_KEYS`, are not kept."""
    kinds = KINDS if group == "all" else GROUP_KINDS[group]
    known = set(_model_keys(kinds))
    if group in ("gates", "all"):
        known |= set(SPEC_EXTRA_KEYS)
    known -= set(typed_keys()) | set(PAYLOAD_KEYS)
    return tuple(sorted(known - {"event_id", "kind", "project_id", "timestamp"}))


def typed_keys() -> tuple[str, ...]:
    """Keys that land in a typed column (they are removed from ``extra``)."""
    return tuple(
        sorted((set(EVENT_COLUMNS) - set(DERIVED_COLUMNS)) | set(ALIAS_KEYS) | {"schema_version"})
    )


def ibis_schema() -> dict[str, str]:
    """The events table's schema as ibis type names."""
    mapping = {
        "VARCHAR": "string",
        "BIGINT": "int64",
        "DOUBLE": "float64",
        "BOOLEAN": "boolean",
        "TIMESTAMP": "timestamp",
        "JSON": "json",
    }
    return {name: mapping[sql] for name, sql in EVENT_COLUMNS.items()}


def verify_against_models() -> list[str]:
    """Differences between these constants and the pydantic models (empty when in sync)."""
    from autoforge_learn.schema import events as ev
    from autoforge_learn.store.layout import FILE_FOR_KIND

    problems = []
    fields = _model_keys(KINDS)
    for name in EVENT_COLUMNS:
        if name not in DERIVED_COLUMNS and name != "stage" and name not in fields:
            problems.append(f"column {name} is no field of any model")
    if set(KINDS) != {k.value for k in ev.EventKind}:
        problems.append("KINDS differ from EventKind")
    enums = {
        "validation_result": ev.ValidationResult,
        "severity": ev.Severity,
        "decision_type": ev.DecisionType,
        "client_domain": ev.ClientDomain,
        "project_success": ev.ProjectSuccess,
    }
    for name, enum in enums.items():
        if set(ENUM_VALUES[name]) != {v.value for v in enum}:
            problems.append(f"ENUM_VALUES[{name}] differs from {enum.__name__}")
    for group, kinds in GROUP_KINDS.items():
        if set(kinds) != {k for k, g in FILE_FOR_KIND.items() if g == group}:
            problems.append(f"GROUP_KINDS[{group}] differs from FILE_FOR_KIND")
    for kind, keys in CHECK_KEYS.items():
        missing = set(keys) - set(ev.EVENT_MODELS[kind].model_fields)
        if missing:
            problems.append(f"CHECK_KEYS[{kind}] has unknown fields {missing}")
    return problems
