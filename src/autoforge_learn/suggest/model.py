"""A prompt improvement suggestion in the exact shape of spec 6.1, and its ids.

A suggestion file is a YAML list of mappings with the spec's keys, in the spec's order::

    - suggestion_id: SUG-2025-10-001
      agent_role: architect
      suggestion_type: constraint_clarity
      confidence: 0.85
      evidence:
        - gate_failure_rate: 0.4
        - retry_count: 127
        - root_cause: missing error definitions
      proposed_change:
        prompt_file: ai/prompts/architect.yaml
        section: API_contract_generation
        old_text: ...
        new_text: ...
        rationale: ...
      expected_impact:
        gate_success_improvement: 0.3
        retry_reduction: 0.4
        token_efficiency: neutral
      implementation_effort: low
      risk: low
      base_version: architect.v1.1
      finding_ids: [...]

``base_version`` (the prompt version ``old_text`` was read from) and ``finding_ids``
are additions; every key of the spec is always present.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from autoforge_learn.errors import AutoforgeError

ID_RE = re.compile(r"^SUG-(?P<year>\d{4})-(?P<month>\d{2})-(?P<number>\d{3,})$")


class SuggestionType(StrEnum):
    """The six suggestion rules of spec 6.1."""

    CONSTRAINT_CLARITY = "constraint_clarity"
    EXAMPLE_ADDITION = "example_addition"
    CONTEXT_ENRICHMENT = "context_enrichment"
    DECISION_FRAMEWORK = "decision_framework"
    CONSTRAINT_REMOVAL = "constraint_removal"
    ROLE_HANDOFF_IMPROVEMENT = "role_handoff_improvement"


class SuggestionError(AutoforgeError, ValueError):
    """A suggestion cannot be found, read or applied; the message says why."""


@dataclass
class ProposedChange:
    """The edit of one prompt section.

    Attributes:
        prompt_file: The role's prompt file, relative to the root (``ai/prompts/<role>.yaml``).
        section: The section to change (it may not exist yet: then ``old_text`` is ``""``).
        old_text: The section's text in ``base_version`` (``""`` for a new section).
        new_text: The proposed text (``""`` removes the section).
        rationale: Why, with the numbers of the evidence.
    """

    prompt_file: str
    section: str
    old_text: str
    new_text: str
    rationale: str


@dataclass
class ExpectedImpact:
    """What the change is expected to do (estimates from the evidence, see ``engine``).

    Attributes:
        gate_success_improvement: Expected rise of the gate pass rate (0-1, absolute).
        retry_reduction: Expected relative fall of the retries it addresses (0-1).
        token_efficiency: ``improved``, ``neutral`` or ``slightly_worse``.
    """

    gate_success_improvement: float = 0.0
    retry_reduction: float = 0.0
    token_efficiency: str = "neutral"


@dataclass
class Suggestion:
    """One suggested prompt change (spec 6.1 ``suggestion_output``).

    Attributes:
        suggestion_id: ``SUG-YYYY-MM-NNN`` (empty until numbered by the engine).
        agent_role: The role whose prompt changes.
        suggestion_type: One of :class:`SuggestionType`.
        confidence: 0-1; lowered for thin evidence.
        evidence: Single-key mappings, e.g. ``{"gate_failure_rate": 0.4}``.
        proposed_change: The edit.
        expected_impact: Its expected effect.
        implementation_effort: ``low``, ``medium`` or ``high``.
        risk: ``low``, ``medium`` or ``high``.
        base_version: The prompt version ``old_text`` comes from (None: the role has none).
        finding_ids: Ids of the findings behind it.
        impact: Ranking score (not written; from the findings).
    """

    suggestion_id: str
    agent_role: str
    suggestion_type: str
    confidence: float
    evidence: list[dict[str, Any]]
    proposed_change: ProposedChange
    expected_impact: ExpectedImpact = field(default_factory=ExpectedImpact)
    implementation_effort: str = "low"
    risk: str = "low"
    base_version: str | None = None
    finding_ids: list[str] = field(default_factory=list)
    impact: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The spec's mapping, keys in the spec's order, then the additions."""
        change = self.proposed_change
        impact = self.expected_impact
        return {
            "suggestion_id": self.suggestion_id,
            "agent_role": self.agent_role,
            "suggestion_type": str(self.suggestion_type),
            "confidence": round(float(self.confidence), 2),
            "evidence": [dict(item) for item in self.evidence],
            "proposed_change": {
                "prompt_file": change.prompt_file,
                "section": change.section,
                "old_text": change.old_text,
                "new_text": change.new_text,
                "rationale": change.rationale,
            },
            "expected_impact": {
                "gate_success_improvement": round(float(impact.gate_success_improvement), 2),
                "retry_reduction": round(float(impact.retry_reduction), 2),
                "token_efficiency": impact.token_efficiency,
            },
            "implementation_effort": self.implementation_effort,
            "risk": self.risk,
            "base_version": self.base_version,
            "finding_ids": list(self.finding_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "suggestion") -> Suggestion:
        """Read one suggestion back from a suggestion file.

        Raises:
            SuggestionError: If a key of the spec is missing or has the wrong type.
        """
        try:
            change = data["proposed_change"]
            impact = data.get("expected_impact") or {}
            evidence = data.get("evidence") or []
            if not isinstance(change, Mapping) or not isinstance(evidence, list):
                raise TypeError("proposed_change must be a mapping and evidence a list")
            return cls(
                suggestion_id=str(data["suggestion_id"]),
                agent_role=str(data["agent_role"]),
                suggestion_type=str(data["suggestion_type"]),
                confidence=float(data["confidence"]),
                evidence=[dict(item) for item in evidence],
                proposed_change=ProposedChange(
                    prompt_file=str(change["prompt_file"]),
                    section=str(change["section"]),
                    old_text=str(change.get("old_text") or ""),
                    new_text=str(change.get("new_text") or ""),
                    rationale=str(change.get("rationale") or ""),
                ),
                expected_impact=ExpectedImpact(
                    gate_success_improvement=float(impact.get("gate_success_improvement", 0)),
                    retry_reduction=float(impact.get("retry_reduction", 0)),
                    token_efficiency=str(impact.get("token_efficiency", "neutral")),
                ),
                implementation_effort=str(data.get("implementation_effort", "low")),
                risk=str(data.get("risk", "low")),
                base_version=data.get("base_version"),
                finding_ids=[str(f) for f in data.get("finding_ids") or []],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SuggestionError(f"{where}: not a valid suggestion: {exc!r}") from None


def parse_id(suggestion_id: str) -> tuple[int, int, int] | None:
    """``(2025, 10, 1)`` for ``SUG-2025-10-001``; None if it is not a suggestion id."""
    match = ID_RE.match(suggestion_id)
    if match is None:
        return None
    return int(match["year"]), int(match["month"]), int(match["number"])


def next_ids(now: datetime, count: int, existing: Iterable[str] = ()) -> list[str]:
    """``count`` new ids for the month of ``now``, after the highest one already used.

    Args:
        now: The moment of the run; its year and month go into the ids.
        count: How many ids.
        existing: Ids already handed out (any month); only the same month's count.
    """
    used = 0
    for suggestion_id in existing:
        parsed = parse_id(str(suggestion_id))
        if parsed and parsed[:2] == (now.year, now.month):
            used = max(used, parsed[2])
    return [f"SUG-{now.year:04d}-{now.month:02d}-{used + i:03d}" for i in range(1, count + 1)]
