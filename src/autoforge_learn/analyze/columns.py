"""The normalized events table: one row per event, a typed column for every field an
analysis uses, the rest of the event kept as JSON in ``extra``.

Column names follow the pydantic models of :mod:`autoforge_learn.schema.events`, with
three unifications so that one column means one thing across kinds:

* ``stage``: ``stage_id`` of a stage execution, ``target_stage`` of downstream feedback
  (the stage whose output was judged), else the event's ``stage``.
* ``agent_role``: ``target_agent`` of downstream feedback (the agent whose output was
  judged), else the event's ``agent_role``.
* ``validation_result``: also read from the flat spelling ``gate_result``.
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

#: The kinds each raw file group (``gates``, ``execution``, ``feedback``) holds; a file
#: holding a kind outside its group is re-read with every key (``"all"``).
GROUP_KINDS: dict[str, tuple[str, ...]] = {
    "gates": (_K_GATE,),
    "execution": (
        _K_PROJECT_STARTED,
        _K_STAGE,
        _K_TESTS,
        _K_SECURITY,
        _K_PERF,
        _K_COMPLETED,
        _K_ASSIGNMENT,
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
    """The JSON keys read with a type for a file group (``all`` for every kind): every
    field of the group's models (their values are checked) and the other accepted spellings,
    but not the :data:`PAYLOAD_KEYS` (only their JSON types are checked, see
    :func:`checked_keys`). Fewer keys make the bulk read faster."""
    kinds = KINDS if group == "all" else GROUP_KINDS[group]
    wanted = _model_keys(kinds) | set(_ENVELOPE) | {"gate_id"}  # a flat gate line anywhere
    if group in ("gates", "all"):
        wanted |= {"gate_result", *SPEC_EXTRA_KEYS}
    # system_context is read (as JSON) for its nested checks; the texts are not read
    unread = set(PAYLOAD_KEYS) - {"system_context"}
    return tuple(sorted(wanted - unread))


def checked_keys(group: str) -> tuple[str, ...]:
    """Every key whose JSON type is checked: :func:`source_keys` and the payload texts."""
    kinds = KINDS if group == "all" else GROUP_KINDS[group]
    return tuple(sorted(set(source_keys(group)) | (set(PAYLOAD_KEYS) & _model_keys(kinds))))


#: Keys of the flat gate form that have no model field but are worth keeping.
SPEC_EXTRA_KEYS = ("gate_result_reason", "downstream_feedback")


#: A stage's input and output texts: left in the raw files (``autoforge export`` and
#: ``autoforge review`` read them there). No analysis reads them, and in the index they
#: made up half of the bytes and of the build time (measured on 36,000 simulated projects).
PAYLOAD_KEYS = ("prompt_template", "system_context", "output_raw")


def extra_keys(group: str) -> tuple[str, ...]:
    """Known keys without a typed column, kept in ``extra`` (JSON): the fields of the
    group's models that no column holds, and the flat form's extras. Keys the schema does
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
    for group, kinds in GROUP_KINDS.items():
        if set(kinds) != {k for k, g in FILE_FOR_KIND.items() if g == group}:
            problems.append(f"GROUP_KINDS[{group}] differs from FILE_FOR_KIND")
    return problems
