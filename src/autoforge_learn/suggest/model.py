"""A prompt improvement suggestion, in the shape of the suggestion files.

A suggestion file is a YAML list of mappings with these keys, in this order::

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
      confidence_basis: score (not a calibrated probability) = ...
      attribution: its rate differs between prompt versions (p = 0.0004)
      experiment:
        command: autoforge ab start --role architect --control architect.v1.1 ...
        metric: gate_pass_rate
        ...

The keys up to ``risk`` (and the first three keys of ``expected_impact``) are always
present. The others are written when known, so older files read back unchanged:
``base_version`` (the prompt version ``old_text`` was read from), ``finding_ids``,
``confidence_basis`` (how the confidence score was computed), ``attribution`` (why the
problem is put down to this prompt), ``experiment`` (the A/B test that would test the
change, sized by a power calculation) and, in ``expected_impact``, the impact's 95%
intervals and ``basis`` (what is estimated from the data and what is a prior).

What a run gives besides the suggestions (the discoveries set aside) is in
:mod:`.runs`; suggestion ids in :mod:`.ids`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from autoforge_learn.errors import AutoforgeError


class SuggestionType(StrEnum):
    """The six suggestion rules (the kinds of prompt change)."""

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
    """What the change is expected to do (see :mod:`autoforge_learn.suggest.estimates`).

    Attributes:
        gate_success_improvement: Expected rise of the gate's first-check pass rate
            (0-1, absolute): the assumed efficacy of the change (a prior) times the
            measured rate of what it addresses.
        retry_reduction: Expected relative fall of the retries (or overrides, rejections)
            it addresses (0-1).
        token_efficiency: ``improved``, ``neutral`` or ``slightly_worse``.
        gate_success_interval: 95% interval of ``gate_success_improvement`` (the measured
            rate's interval times the prior), None when not estimated.
        retry_reduction_interval: Likewise for ``retry_reduction``.
        basis: What is estimated from the data and what is a prior.
    """

    gate_success_improvement: float = 0.0
    retry_reduction: float = 0.0
    token_efficiency: str = "neutral"
    gate_success_interval: tuple[float, float] | None = None
    retry_reduction_interval: tuple[float, float] | None = None
    basis: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The three estimates, then the intervals and the basis (when known)."""
        out: dict[str, Any] = {
            "gate_success_improvement": round(float(self.gate_success_improvement), 2),
            "retry_reduction": round(float(self.retry_reduction), 2),
            "token_efficiency": self.token_efficiency,
        }
        if self.gate_success_interval is not None:
            out["gate_success_improvement_interval"] = _pair(self.gate_success_interval)
        if self.retry_reduction_interval is not None:
            out["retry_reduction_interval"] = _pair(self.retry_reduction_interval)
        if self.basis:
            out["basis"] = self.basis
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpectedImpact:
        return cls(
            gate_success_improvement=float(data.get("gate_success_improvement", 0)),
            retry_reduction=float(data.get("retry_reduction", 0)),
            token_efficiency=str(data.get("token_efficiency", "neutral")),
            gate_success_interval=_read_pair(data.get("gate_success_improvement_interval")),
            retry_reduction_interval=_read_pair(data.get("retry_reduction_interval")),
            basis=str(data.get("basis") or ""),
        )


def _pair(values: tuple[float, float]) -> list[float]:
    return [round(float(values[0]), 3), round(float(values[1]), 3)]


def _read_pair(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    low, high = value
    return float(low), float(high)


@dataclass
class Experiment:
    """The A/B experiment that would test a suggestion.

    Attributes:
        command: The command that starts it (control: the role's current version;
            treatment: the version ``autoforge prompts apply`` creates from the suggestion).
        metric: What it compares, per project (``gate_pass_rate``, ``override_rate``...).
        control: The control version (None: the role has no version yet).
        treatment: The treatment version.
        planned_projects_per_arm: Projects each arm needs for ``power`` at ``alpha``
            (two-sided two-sample t-test over projects) to detect ``expected_effect``.
        expected_effect: The effect the plan is sized for, on the metric's scale.
        assumed_sd: The between-project standard deviation of the metric assumed.
        alpha: Significance level.
        power: Power.
        gate_id: The gate whose pass rate is the metric, if any.
        basis: How the effect and the standard deviation were obtained.
    """

    command: str
    metric: str
    control: str | None
    treatment: str
    planned_projects_per_arm: int
    expected_effect: float
    assumed_sd: float
    alpha: float = 0.05
    power: float = 0.8
    gate_id: str | None = None
    basis: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "command": self.command,
            "metric": self.metric,
            "control": self.control,
            "treatment": self.treatment,
            "planned_projects_per_arm": int(self.planned_projects_per_arm),
            "expected_effect": round(float(self.expected_effect), 4),
            "assumed_sd": round(float(self.assumed_sd), 4),
            "alpha": float(self.alpha),
            "power": float(self.power),
        }
        if self.gate_id:
            out["gate_id"] = self.gate_id
        out["basis"] = self.basis
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Experiment:
        return cls(
            command=str(data["command"]),
            metric=str(data["metric"]),
            control=None if data.get("control") is None else str(data["control"]),
            treatment=str(data["treatment"]),
            planned_projects_per_arm=int(data["planned_projects_per_arm"]),
            expected_effect=float(data["expected_effect"]),
            assumed_sd=float(data["assumed_sd"]),
            alpha=float(data.get("alpha", 0.05)),
            power=float(data.get("power", 0.8)),
            gate_id=data.get("gate_id"),
            basis=str(data.get("basis") or ""),
        )


@dataclass
class Suggestion:
    """One suggested prompt change, as one entry of a suggestion file.

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
        confidence_basis: How ``confidence`` was computed (a score, see ``estimates``).
        attribution: Why the problem is put down to this role's prompt.
        experiment: The A/B experiment that would test the change.
        impact: Ranking score (not written; from the findings).
        blocks: The text blocks the change adds to ``old_text`` (not written; the engine
            merges the blocks of changes to one section into one suggestion).
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
    confidence_basis: str = ""
    attribution: str = ""
    experiment: Experiment | None = None
    impact: float = 0.0
    blocks: list[list[str]] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The suggestion file's mapping: the keys always present, in their order, then
        the additions."""
        change = self.proposed_change
        out = {
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
            "expected_impact": self.expected_impact.to_dict(),
            "implementation_effort": self.implementation_effort,
            "risk": self.risk,
            "base_version": self.base_version,
            "finding_ids": list(self.finding_ids),
        }
        if self.confidence_basis:
            out["confidence_basis"] = self.confidence_basis
        if self.attribution:
            out["attribution"] = self.attribution
        if self.experiment is not None:
            out["experiment"] = self.experiment.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "suggestion") -> Suggestion:
        """Read one suggestion back from a suggestion file.

        Raises:
            SuggestionError: If a required key is missing or has the wrong type.
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
                expected_impact=ExpectedImpact.from_dict(impact),
                implementation_effort=str(data.get("implementation_effort", "low")),
                risk=str(data.get("risk", "low")),
                base_version=data.get("base_version"),
                finding_ids=[str(f) for f in data.get("finding_ids") or []],
                confidence_basis=str(data.get("confidence_basis") or ""),
                attribution=str(data.get("attribution") or ""),
                experiment=Experiment.from_dict(data["experiment"])
                if data.get("experiment")
                else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SuggestionError(f"{where}: not a valid suggestion: {exc!r}") from None
