"""What one run of the suggestion engine gives: the suggestions, and the discoveries it
set aside (made no prompt edit for) with the reason for each."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoforge_learn.suggest.model import Suggestion


class SetAsideReason(StrEnum):
    """Why a discovery makes no prompt edit."""

    #: Its failures read as runtime or infrastructure errors (a traceback, a test
    #: runner's crash, a timeout) and are not concentrated in one prompt version.
    RUNTIME_ERROR = "runtime_error"
    #: Not shown to depend on the prompt: its rate does not differ between the role's
    #: prompt versions beyond chance, and it does not read as missing content of a role
    #: with a single version (e.g. a platform's problem).
    NOT_PROMPT_SPECIFIC = "not_prompt_specific"
    #: The role's current default version already fixes it (its data, or its text
    #: already states the requirement).
    ALREADY_FIXED = "already_fixed"
    #: Attributable, but no clean text (a requirement or a quote that is not code, a
    #: stack trace or a template label) can be written from its evidence.
    NO_CLEAN_TEXT = "no_clean_text"

    @property
    def attributable(self) -> bool:
        """Whether the problem is the prompt's doing (only the first two say it is not)."""
        return self not in (SetAsideReason.RUNTIME_ERROR, SetAsideReason.NOT_PROMPT_SPECIFIC)


@dataclass
class SetAside:
    """A discovery the engine makes no prompt edit for, and why (listed, never hidden).

    Attributes:
        finding_id: The finding.
        agent_role: The role it concerns.
        reason: One of :class:`SetAsideReason`.
        explanation: Why, with the numbers.
        gate_id: The gate, for a gate failure cause.
        example: Its most frequent real phrasing (a clean quote), if any.
        current_version: The role's current default version, if known.
    """

    finding_id: str
    agent_role: str | None
    reason: str
    explanation: str
    gate_id: str | None = None
    example: str | None = None
    current_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "agent_role": self.agent_role,
            "reason": str(self.reason),
            "explanation": self.explanation,
            "gate_id": self.gate_id,
            "example": self.example,
            "current_version": self.current_version,
        }


@dataclass
class SuggestRun:
    """What one run of the engine gives.

    Attributes:
        suggestions: The prompt change suggestions (one per role and section).
        set_aside: Discoveries that make no prompt edit, each with its reason.
        path: The suggestion file written, if any (set by ``suggest_run_from_root``).
    """

    suggestions: list[Suggestion] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    path: Path | None = None

    @property
    def unattributed(self) -> list[SetAside]:
        """Discoveries not attributable to a prompt: runtime or infrastructure errors,
        and problems not shown to depend on the prompt."""
        return [s for s in self.set_aside if not SetAsideReason(s.reason).attributable]

    @property
    def already_fixed(self) -> list[SetAside]:
        """Discoveries the role's current default version already fixes."""
        return [s for s in self.set_aside if s.reason == SetAsideReason.ALREADY_FIXED]
