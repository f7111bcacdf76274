"""The manual review record: its checklist, its answers, and their validation.

A review is stored as one line of ``labeled/manual_reviews.jsonl``::

    {review_id, event_id, project_id, stage, agent_role, prompt_version, reviewer,
     reviewed_at, triggers, checklist: {correctness: {...}, clarity: {...},
     quality: {...}, efficiency: {...}}, overall_rating, comments,
     suggested_improvements, learning_signal}

Answers arrive nested (``{"correctness": {"edge_cases": "partially"}}``), dotted
(``correctness.edge_cases=partially``) or flat (``edge_cases=partially``); all three are
brought to the nested form by :func:`normalize_answers` and validated by
:func:`validate_answers`, whose errors name the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.schema.events import UtcDatetime

YesNo = Literal["yes", "no"]


@dataclass(frozen=True)
class Question:
    """One item of the manual review checklist.

    Attributes:
        section: ``correctness``, ``clarity``, ``quality`` or ``efficiency``.
        name: The answer's field name within its section.
        text: The question as put to the reviewer.
        choices: The allowed answers.
        best: The answer that means "no problem"; any other counts as a failure.
    """

    section: str
    name: str
    text: str
    choices: tuple[str, ...]
    best: str

    @property
    def path(self) -> str:
        """``section.name``, the item's name in errors and statistics."""
        return f"{self.section}.{self.name}"


#: The manual review checklist, in the order it is asked.
CHECKLIST: tuple[Question, ...] = (
    Question("correctness", "matches_requirements", "Does output match requirements?",
             ("yes", "no"), "yes"),
    Question("correctness", "edge_cases", "Are edge cases considered?",
             ("yes", "no", "partially"), "yes"),
    Question("correctness", "completeness", "Is output complete or stub?",
             ("complete", "stub", "incomplete"), "complete"),
    Question("clarity", "understandable_by_next_agent", "Is output understandable by next agent?",
             ("yes", "no", "mostly"), "yes"),
    Question("clarity", "assumptions_documented", "Are assumptions documented?",
             ("yes", "no"), "yes"),
    Question("quality", "would_pass_code_review", "Would this pass code review?",
             ("yes", "no", "minor_fixes"), "yes"),
    Question("quality", "obvious_improvements", "Are there obvious improvements?",
             ("yes", "no"), "no"),
    Question("efficiency", "wasted_tokens", "Did agent waste tokens?", ("yes", "no"), "no"),
    Question("efficiency", "prompt_could_be_tighter", "Could prompt be tighter?",
             ("yes", "no"), "no"),
)  # fmt: skip

SECTIONS = ("correctness", "clarity", "quality", "efficiency")
#: Reviewer feedback fields beside the checklist.
FEEDBACK_FIELDS = ("overall_rating", "comments", "suggested_improvements", "learning_signal")
_QUESTION_BY_NAME = {q.name: q for q in CHECKLIST}
_MAX_TEXT = 20_000


class ReviewError(AutoforgeError, ValueError):
    """Invalid review answers; ``errors`` holds ``(field, message)`` pairs."""

    def __init__(self, errors: Iterable[tuple[str, str]]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {field}: {message}" for field, message in self.errors)
        super().__init__(f"invalid review answers (nothing was written):\n{lines}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            return value.strip().lower().replace("-", "_").replace(" ", "_")
        return value


class Correctness(_Section):
    matches_requirements: YesNo
    edge_cases: Literal["yes", "no", "partially"]
    completeness: Literal["complete", "stub", "incomplete"]


class Clarity(_Section):
    understandable_by_next_agent: Literal["yes", "no", "mostly"]
    assumptions_documented: YesNo


class QualityChecks(_Section):
    would_pass_code_review: Literal["yes", "no", "minor_fixes"]
    obvious_improvements: YesNo


class Efficiency(_Section):
    wasted_tokens: YesNo
    prompt_could_be_tighter: YesNo


class Checklist(BaseModel):
    """The four sections of the manual review checklist."""

    model_config = ConfigDict(extra="forbid")

    correctness: Correctness
    clarity: Clarity
    quality: QualityChecks
    efficiency: Efficiency

    def failures(self) -> list[str]:
        """The items (``section.name``) answered other than their best answer."""
        return [q.path for q in CHECKLIST if self.answer(q) != q.best]

    def answer(self, question: Question) -> str:
        """The answer to one checklist item."""
        return str(getattr(getattr(self, question.section), question.name))


def _rating(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number from 1 to 5")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


class ReviewAnswers(BaseModel):
    """What a reviewer answers: the checklist and the reviewer's feedback."""

    model_config = ConfigDict(extra="forbid")

    checklist: Checklist
    overall_rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comments: str = Field(default="", max_length=_MAX_TEXT)
    suggested_improvements: str = Field(default="", max_length=_MAX_TEXT)
    learning_signal: str = Field(
        default="",
        max_length=_MAX_TEXT,
        description='e.g. "Agent didn\'t follow constraint about error handling; tighten prompt"',
    )

    @field_validator("overall_rating", mode="before")
    @classmethod
    def _check_rating(cls, value: Any) -> Any:
        return _rating(value)

    @field_validator("comments", "suggested_improvements", "learning_signal", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        if value is None:
            return ""
        return value.strip() if isinstance(value, str) else value


class ManualReview(ReviewAnswers):
    """One stored review (a line of ``labeled/manual_reviews.jsonl``)."""

    model_config = ConfigDict(extra="allow")

    review_id: str = Field(min_length=1)
    event_id: str = Field(min_length=1, description="The reviewed stage_execution event")
    project_id: str
    stage: str
    agent_role: str
    prompt_version: str | None = None
    reviewer: str = Field(min_length=1)
    reviewed_at: UtcDatetime
    triggers: list[str] = Field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """The JSON line, fields in the documented order."""
        data = self.model_dump(mode="json")
        order = (
            "review_id", "event_id", "project_id", "stage", "agent_role", "prompt_version",
            "reviewer", "reviewed_at", "triggers", "checklist", *FEEDBACK_FIELDS,
        )  # fmt: skip
        return {**{k: data[k] for k in order}, **{k: v for k, v in data.items() if k not in order}}


def normalize_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Bring nested, dotted or flat answers to the nested form of :class:`ReviewAnswers`.

    Accepted keys: the feedback fields (``overall_rating``, ``comments``,
    ``suggested_improvements``, ``learning_signal``; ``rating`` is short for
    ``overall_rating``), checklist items as ``section.name`` or just ``name``, whole
    sections (``{"correctness": {...}}``) and a whole ``checklist``.

    Raises:
        ReviewError: For an unknown key, or one given twice with different values.
    """
    out: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    errors: list[tuple[str, str]] = []

    def put_item(section: str, name: str, value: Any, key: str) -> None:
        question = _QUESTION_BY_NAME.get(name)
        if question is None or question.section != section:
            known = ", ".join(q.name for q in CHECKLIST if q.section == section)
            errors.append((key, f"unknown checklist item; {section} has: {known}"))
        elif name in sections[section] and sections[section][name] != value:
            errors.append((question.path, "given twice with different answers"))
        else:
            sections[section][name] = value

    for raw_key, value in answers.items():
        key = str(raw_key).strip().replace("-", "_")
        if key == "rating":
            key = "overall_rating"
        if key in FEEDBACK_FIELDS:
            out[key] = value
        elif key == "checklist" and isinstance(value, Mapping):
            for section, items in value.items():
                if section not in SECTIONS or not isinstance(items, Mapping):
                    errors.append((f"checklist.{section}", "unknown checklist section"))
                    continue
                for name, answer in items.items():
                    put_item(section, str(name), answer, f"checklist.{section}.{name}")
        elif key in SECTIONS and isinstance(value, Mapping):
            for name, answer in value.items():
                put_item(key, str(name), answer, f"{key}.{name}")
        elif "." in key:
            section, _, name = key.partition(".")
            if section == "checklist":
                section, _, name = name.partition(".")
            if section not in SECTIONS:
                errors.append((key, f"unknown checklist section {section!r}"))
            else:
                put_item(section, name, value, key)
        elif key in _QUESTION_BY_NAME:
            put_item(_QUESTION_BY_NAME[key].section, key, value, key)
        else:
            errors.append((key, "unknown answer field"))
    if errors:
        raise ReviewError(errors)
    out["checklist"] = sections
    return out


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (command-line answers) as a mapping.

    Raises:
        ReviewError: If a pair has no ``=`` or an empty key, or a key repeats.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ReviewError([(pair, "expected KEY=VALUE, e.g. edge_cases=partially")])
        if key in out:
            raise ReviewError([(key, "given twice")])
        out[key] = value
    return out


def validate_answers(answers: Mapping[str, Any]) -> ReviewAnswers:
    """Validate a reviewer's answers (nested, dotted or flat keys).

    Raises:
        ReviewError: Naming each missing, unknown or invalid field, e.g.
            ``checklist.correctness.edge_cases: Input should be 'yes', 'no' or
            'partially'``.
    """
    nested = normalize_answers(answers)
    try:
        return ReviewAnswers.model_validate(nested)
    except ValidationError as exc:
        raise ReviewError(
            (".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
            for err in exc.errors(include_url=False)
        ) from None


def merge_answers(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """Merge answers from several sources (e.g. a JSON file, then flags); later ones win.

    Raises:
        ReviewError: If a source has an unknown key (see :func:`normalize_answers`).
    """
    merged: dict[str, Any] = {"checklist": {s: {} for s in SECTIONS}}
    for source in sources:
        nested = normalize_answers(source)
        for section, items in nested.pop("checklist").items():
            merged["checklist"][section].update(items)
        merged.update(nested)
    return merged
