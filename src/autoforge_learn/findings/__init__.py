"""The Finding contract: what a pattern detector reports, with its typed evidence.

Every detector returns :class:`Finding` objects. Later stages (feedback loops, the
suggestion engine, reports) read only these, never the detectors' internals, so a
finding carries everything needed to act on it and to judge how far to trust it. This
module sits below the detectors and the suggestion engine, which both use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from functools import cache
from typing import Any

from autoforge_learn.findings.evidence import (
    AutoFixEvidence,
    CalibrationBucket,
    CalibrationEvidence,
    Evidence,
    FeedbackCount,
    GateCauseEvidence,
    GateRetries,
    HandoffEvidence,
    NamedRecipeSummary,
    OverrideEvidence,
    RecipeComparisonEvidence,
    RecipeGroupEvidence,
    RetryEvidence,
    ReviewEvidence,
    Segment,
    TextCount,
    TokenEvidence,
    VersionRate,
)


class Pattern(StrEnum):
    """The eight pattern categories the detectors look for."""

    GATE_FAILURE_ROOT_CAUSE = "gate_failure_root_cause"
    RETRY_HOTSPOT = "retry_hotspot"
    HANDOFF = "handoff"
    HUMAN_OVERRIDE = "human_override"
    TOKEN_EFFICIENCY = "token_efficiency"
    RECIPE_EFFECTIVENESS = "recipe_effectiveness"
    CONFIDENCE_CALIBRATION = "confidence_calibration"
    AUTO_FIX_STRATEGY = "auto_fix_strategy"
    MANUAL_REVIEW = "manual_review"


class Severity(StrEnum):
    """How much a finding matters: ``high`` crosses the detector's threshold clearly,
    ``medium`` crosses it, ``low`` is worth watching, ``info`` is context (e.g. the best
    auto-fix strategy)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Status(StrEnum):
    """What the statistics say of a finding.

    ``discovery``: its hypothesis survives the false discovery correction of the run;
    ``not_significant``: tested, not beyond chance; ``inconclusive``: too few projects
    to tell (listed apart, never acted on); ``context``: a description, not a claim
    (e.g. a recipe's outcomes).
    """

    DISCOVERY = "discovery"
    NOT_SIGNIFICANT = "not_significant"
    INCONCLUSIVE = "inconclusive"
    CONTEXT = "context"


@dataclass
class Hypothesis:
    """The claim a finding makes, as a test with the project as the unit.

    Attributes:
        claim: The alternative hypothesis in words ("cause X is more frequent in
            architect.v1.0 than in the other versions").
        test: The test that gave the p-value.
        p_value: Its p-value (one- or two-sided as the claim says).
        effect: The effect against the baseline, on the metric's scale.
        effect_low: Lower end of the effect's 95% interval (None: not estimable).
        effect_high: Upper end.
        baseline: What the effect is measured against, named ("the other versions of
            the gate", "threshold 10%", "the role's default version architect.v1.1").
        projects: Projects in the smallest group the test compares (all the projects
            of a test against a fixed threshold).
        q_value: Benjamini-Hochberg adjusted p-value across the run's hypotheses
            (filled when the run's findings are judged together).
        detectable: The smallest effect this many projects detect with 80% power at
            level 0.05 (same scale as ``effect``; None when not estimable): what "not
            significant" can and cannot rule out.
    """

    claim: str
    test: str
    p_value: float
    effect: float
    effect_low: float | None
    effect_high: float | None
    baseline: str
    projects: int
    q_value: float | None = None
    detectable: float | None = None


@dataclass
class Example:
    """One real event behind a finding, with the text that shows the problem."""

    event_id: str
    project_id: str
    text: str | None = None


#: The columns of :meth:`Finding.to_record`, in order.
FINDING_COLUMNS = (
    "id",
    "pattern",
    "status",
    "severity",
    "title",
    "agent_role",
    "prompt_version",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "sample_size",
    "projects",
    "threshold",
    "baseline",
    "impact",
    "thin_evidence",
    "p_value",
    "q_value",
    "effect",
    "effect_low",
    "effect_high",
)


@dataclass
class Finding:
    """One pattern found in the data.

    Attributes:
        pattern: Which of the eight categories.
        key: What the finding is about, e.g. ``{"gate_id": "api_contract_present",
            "cause": "missing error definitions"}`` or ``{"agent_role": "qa",
            "platform": "mobile"}``; stable across runs on the same data.
        title: One line a person reads first, with the numbers.
        severity: See :class:`Severity`.
        metric: Name of the measured quantity, e.g. ``failure_rate``, ``avg_retries``.
        value: The measured value.
        interval: 95% interval of ``value`` (Wilson for rates, t or bootstrap for
            means), or None when it cannot be computed.
        sample_size: How many observations ``value`` rests on.
        threshold: The threshold the detector compared ``value`` with (from config).
        baseline: What ``value`` is compared with (e.g. the role's best version), if any.
        impact: Ranking score within the pattern: larger is more worth acting on
            (e.g. excess failures = (rate - baseline) * checks).
        thin_evidence: True when the sample is too small to trust; such findings are
            reported and marked, never hidden.
        agent_role: The role to act on, if any.
        prompt_version: The prompt version concerned, if any.
        evidence: The numbers behind the finding, typed per kind of finding (see
            :mod:`autoforge_learn.findings.evidence`).
        examples: Up to a handful of real events that show it (ids and their text).
        hypothesis: The claim as a test over projects (None for context findings).
        status: What the statistics say of it (see :class:`Status`).
        projects: Projects the finding rests on (the unit of analysis).
    """

    pattern: Pattern
    key: dict[str, str]
    title: str
    severity: Severity
    metric: str
    value: float
    sample_size: int
    interval: tuple[float, float] | None = None
    threshold: float | None = None
    baseline: float | None = None
    impact: float = 0.0
    thin_evidence: bool = False
    agent_role: str | None = None
    prompt_version: str | None = None
    evidence: Evidence | None = None
    examples: list[Example] = field(default_factory=list)
    hypothesis: Hypothesis | None = None
    status: Status = Status.CONTEXT
    projects: int = 0

    @property
    def id(self) -> str:
        """A stable id: the pattern and its key, e.g. ``retry_hotspot:agent_role=qa``."""
        return self.pattern + ":" + ",".join(f"{k}={v}" for k, v in sorted(self.key.items()))

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready values (what ``autoforge patterns --format json``
        prints and :meth:`from_dict` reads back)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["examples"] = [asdict(e) for e in self.examples]
        data["hypothesis"] = asdict(self.hypothesis) if self.hypothesis else None
        data["status"] = str(self.status)
        data["key"] = dict(self.key)
        data["id"] = self.id
        data["pattern"] = str(self.pattern)
        data["severity"] = str(self.severity)
        data["interval"] = list(self.interval) if self.interval is not None else None
        evidence = self.evidence
        data["evidence"] = evidence.model_dump(mode="json") if evidence is not None else None
        return data

    def to_record(self) -> dict[str, Any]:
        """The finding as one flat row, the columns of :data:`FINDING_COLUMNS` in that
        order: what a table of findings (``findings_frame``, CSV) holds. The evidence and
        examples stay in :meth:`to_dict`; ``ci_low``/``ci_high`` are the interval's ends,
        ``p_value`` to ``effect_high`` the hypothesis' numbers (None without one)."""
        low, high = self.interval if self.interval is not None else (None, None)
        h = self.hypothesis
        return {
            "id": self.id,
            "pattern": str(self.pattern),
            "status": str(self.status),
            "severity": str(self.severity),
            "title": self.title,
            "agent_role": self.agent_role,
            "prompt_version": self.prompt_version,
            "metric": self.metric,
            "value": self.value,
            "ci_low": low,
            "ci_high": high,
            "sample_size": self.sample_size,
            "projects": self.projects,
            "threshold": self.threshold,
            "baseline": self.baseline,
            "impact": self.impact,
            "thin_evidence": self.thin_evidence,
            "p_value": h.p_value if h else None,
            "q_value": h.q_value if h else None,
            "effect": h.effect if h else None,
            "effect_low": h.effect_low if h else None,
            "effect_high": h.effect_high if h else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding from :meth:`to_dict`'s output.

        Raises:
            ValueError: If a field is missing or has the wrong shape (pydantic's
                ValidationError, a ValueError, for the evidence).
        """
        values = {k: v for k, v in data.items() if k != "id"}
        values["pattern"] = Pattern(values["pattern"])
        values["severity"] = Severity(values["severity"])
        if values.get("interval") is not None:
            values["interval"] = tuple(values["interval"])
        values["examples"] = [Example(**e) for e in values.get("examples", [])]
        if values.get("hypothesis") is not None:
            values["hypothesis"] = Hypothesis(**values["hypothesis"])
        if "status" in values:
            values["status"] = Status(values["status"])
        if values.get("evidence") is not None:
            values["evidence"] = _evidence_adapter().validate_python(values["evidence"])
        return cls(**values)


@cache
def _evidence_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Evidence)


__all__ = [
    "FINDING_COLUMNS",
    "AutoFixEvidence",
    "CalibrationBucket",
    "CalibrationEvidence",
    "Evidence",
    "Example",
    "FeedbackCount",
    "Finding",
    "GateCauseEvidence",
    "GateRetries",
    "Hypothesis",
    "HandoffEvidence",
    "NamedRecipeSummary",
    "OverrideEvidence",
    "Pattern",
    "RecipeComparisonEvidence",
    "RecipeGroupEvidence",
    "RetryEvidence",
    "ReviewEvidence",
    "Segment",
    "Severity",
    "Status",
    "TextCount",
    "TokenEvidence",
    "VersionRate",
]
