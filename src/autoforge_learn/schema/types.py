"""Enums and shared field types of the event schema (re-exported by
:mod:`autoforge_learn.schema.events` and :mod:`autoforge_learn.schema`).

Kept apart from the models so that the models' module holds the events alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

#: The largest integer an event field may hold: the index stores counts as 64-bit
#: integers on both engines, so a larger one is refused by the schema itself (it used to
#: pass ``validate`` and then be left out by the index).
INT64_MAX = 2**63 - 1

#: Identifiers that become parts of file names: a letter or digit first, then letters,
#: digits, ``.``, ``_`` or ``-``; never ``..``; at most 128 characters.
SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_SAFE_ID = re.compile(SAFE_ID_PATTERN)

PROMPT_VERSION_PATTERN = r"^[a-z][a-z0-9_]*\.v[0-9]+\.[0-9]+$"
_PROMPT_VERSION = re.compile(PROMPT_VERSION_PATTERN)


@lru_cache(maxsize=8192)
def check_safe_id(value: str, *, what: str = "project_id") -> str:
    """Return ``value`` if it can safely become part of a file name, else raise ValueError.

    Args:
        value: The identifier to check.
        what: The name of the identifier, used in the error message.

    Raises:
        ValueError: If the identifier is empty, too long, contains a path separator,
            ``..``, whitespace or control characters, or other unsafe characters.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if ".." in value or "/" in value or "\\" in value:
        raise ValueError(f"{what} {value!r} must not contain path separators or '..'")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{what} {value!r} must not contain control characters")
    if not _SAFE_ID.match(value):
        raise ValueError(
            f"{what} {value!r} may only hold letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 128 characters)"
        )
    return value


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-12:00 is year 10000 in UTC: an invalid line
        raise ValueError("out of range: in UTC it falls outside the years 1 to 9999") from None


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, the form every stored timestamp takes."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Validated to UTC, so pydantic's own serializer writes the ``...Z`` form.
UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    Field(description="Timezone-aware timestamp (ISO 8601), stored in UTC"),
]


class EventKind(StrEnum):
    """What an event records; decides its model and the file it is stored in."""

    PROJECT_STARTED = "project_started"
    STAGE_EXECUTION = "stage_execution"
    GATE_EVALUATION = "gate_evaluation"
    DOWNSTREAM_FEEDBACK = "downstream_feedback"
    TEST_RESULTS = "test_results"
    SECURITY_SCAN = "security_scan"
    PERFORMANCE_METRICS = "performance_metrics"
    HUMAN_APPROVAL = "human_approval"
    HUMAN_SURVEY = "human_survey"
    ESCALATION = "escalation"
    PROJECT_COMPLETED = "project_completed"
    EXPERIMENT_ASSIGNMENT = "experiment_assignment"


class ClientDomain(StrEnum):
    SAAS = "saas"
    FINTECH = "fintech"
    HEALTHTECH = "healthtech"
    ECOMMERCE = "ecommerce"
    ANALYTICS = "analytics"
    OTHER = "other"


class ValidationResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    AMBIGUOUS = "ambiguous"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class DecisionType(StrEnum):
    FEATURE_PRIORITY = "feature_priority"
    ARCHITECTURE_CHOICE = "architecture_choice"
    TECH_STACK = "tech_stack"
    RISK_ACCEPTANCE = "risk_acceptance"


class Arm(StrEnum):
    CONTROL = "control"
    TREATMENT = "treatment"


class ProjectSuccess(StrEnum):
    SHIPPED = "shipped"
    ALPHA_READY = "alpha_ready"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class SystemContext(BaseModel):
    """What the agent was told besides its prompt template."""

    model_config = ConfigDict(extra="allow")

    prior_decisions: list[str] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    acceptance_criteria: list[str] = Field(default_factory=list)
