"""What every rule shares: settings, the registry view, confidence, evidence, targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from autoforge_learn.patterns.findings import Finding, Severity
from autoforge_learn.registry import PromptRegistry, PromptVersion, RegistryError
from autoforge_learn.suggest.model import (
    ExpectedImpact,
    ProposedChange,
    Suggestion,
    SuggestionType,
)
from autoforge_learn.suggest.text import best_section

T = SuggestionType

#: How directly each rule's evidence points at its change (the confidence before the data).
DEFAULT_PRIORS: dict[str, float] = {
    T.CONSTRAINT_CLARITY: 0.9,
    T.EXAMPLE_ADDITION: 0.75,
    T.CONTEXT_ENRICHMENT: 0.8,
    T.DECISION_FRAMEWORK: 0.7,
    T.CONSTRAINT_REMOVAL: 0.8,
    T.ROLE_HANDOFF_IMPROVEMENT: 0.8,
}
#: Share of the addressed problem a change of each type is assumed to remove.
DEFAULT_EFFICACY: dict[str, float] = {
    T.CONSTRAINT_CLARITY: 0.7,
    T.EXAMPLE_ADDITION: 0.5,
    T.CONTEXT_ENRICHMENT: 0.5,
    T.DECISION_FRAMEWORK: 0.4,
    T.CONSTRAINT_REMOVAL: 0.0,
    T.ROLE_HANDOFF_IMPROVEMENT: 0.6,
}
SEVERITY_WEIGHT = {Severity.HIGH: 1.0, Severity.MEDIUM: 0.9, Severity.LOW: 0.75, Severity.INFO: 0.6}


@dataclass
class SuggestConfig:
    """Settings of the rules (``suggest:`` in ``config.yaml``; every key optional).

    Attributes:
        min_failures: Failures of one root cause before rule 1 fires (spec 5.1: 3+).
        min_retries: Retries of one root cause that make rule 2 add an example.
        min_overrides: Overrides of one decision type before rules 3 and 4 fire.
        context_share: Share of override reasons that must name missing context (rule 3).
        min_decision_types: Overridden decision types of one role that make rule 4 fire.
        max_adjacent_share: Rule 4 also fires when fewer overrides than this were near misses.
        quality_tolerance: Rule 5 treats pass rates within this of the best as "no better".
        quality_alpha: Rule 5 treats a version as better only if ``p_better_quality`` (the
            detector's p-value that its quality is higher) is below this.
        min_severity: Findings below this severity (``low``: worth watching, ``info``:
            context) do not make suggestions.
        min_rejections: Downstream rejections before rule 6 fires.
        thin_factor: Confidence multiplier for thin evidence.
        max_quotes: Real phrasings quoted per suggestion.
        rewriter: Name of the rewriter plug-in (``deterministic`` = none).
        priors: Confidence prior per suggestion type.
        efficacy: Assumed share of the problem removed, per suggestion type.
    """

    min_failures: int = 3
    min_retries: int = 10
    min_overrides: int = 3
    context_share: float = 0.3
    min_decision_types: int = 2
    max_adjacent_share: float = 0.34
    quality_tolerance: float = 0.02
    quality_alpha: float = 0.05
    min_severity: str = "medium"
    min_rejections: int = 2
    thin_factor: float = 0.5
    max_quotes: int = 3
    rewriter: str = "deterministic"
    priors: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRIORS))
    efficacy: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFICACY))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> SuggestConfig:
        """Settings from a mapping (unknown keys are ignored; dicts merge over defaults)."""
        config = cls()
        for item in fields(cls):
            if not data or item.name not in data:
                continue
            value = data[item.name]
            if item.name in ("priors", "efficacy"):
                getattr(config, item.name).update({str(k): float(v) for k, v in value.items()})
            else:
                setattr(config, item.name, type(getattr(config, item.name))(value))
        return config


@dataclass
class Target:
    """Where a change goes: the role's current version, a section and its text."""

    role: str
    version: PromptVersion | None
    section: str
    old_text: str

    @property
    def prompt_file(self) -> str:
        """The role's prompt file, relative to the root."""
        return f"ai/prompts/{self.role}.yaml"


class RuleContext:
    """What rules read besides findings: the registry and the settings.

    Args:
        registry: The prompt registry (None: no prompts, every section is new).
        config: The settings.
    """

    def __init__(self, registry: PromptRegistry | None, config: SuggestConfig) -> None:
        self.registry = registry
        self.config = config
        self._latest: dict[str, PromptVersion | None] = {}
        #: (role, section) pairs another rule of this run rewrites wholesale (rule 5):
        #: other rules do not pick them, so their suggestions can all be applied.
        self.reserved: set[tuple[str, str]] = set()

    def latest(self, role: str) -> PromptVersion | None:
        """The role's newest active version (None if it has none or the role is invalid)."""
        if role not in self._latest:
            try:
                found = self.registry.latest(role) if self.registry else None
            except RegistryError:
                found = None
            self._latest[role] = found
        return self._latest[role]

    def version(self, version_id: str | None) -> PromptVersion | None:
        """A version by id, or None when absent or unreadable."""
        if not version_id or self.registry is None:
            return None
        try:
            return self.registry.get(version_id)
        except RegistryError:
            return None

    def target(
        self, role: str, query: Sequence[str], *, new_section: str, prefer: Sequence[str] = ()
    ) -> Target:
        """The section of the role's current prompt that best matches ``query``.

        Falls back to ``new_section`` (empty ``old_text`` unless it already exists).
        """
        version = self.latest(role)
        sections = version.sections if version else {}
        free = {n: t for n, t in sections.items() if (role, n) not in self.reserved}
        name = best_section(free, query, prefer=prefer) or new_section
        return Target(role, version, name, sections.get(name, ""))

    def confidence(self, kind: str, findings: Sequence[Finding]) -> float:
        """Prior of the rule times the strength of its best finding; thin evidence lowers it."""
        prior = self.config.priors.get(kind, 0.7)
        strengths = []
        for finding in findings:
            n = max(int(finding.sample_size or 0), 0)
            sample = 0.5 + 0.5 * n / (n + 10)
            strengths.append(SEVERITY_WEIGHT.get(finding.severity, 0.75) * sample)
        value = prior * (max(strengths) if strengths else 0.5)
        value += 0.03 * max(len(findings) - 1, 0)  # corroborating findings
        if any(f.thin_evidence for f in findings):
            value *= self.config.thin_factor
        return round(min(max(value, 0.05), 0.95), 2)

    def acts_on(self, finding: Finding) -> bool:
        """Whether a finding is strong enough to suggest from (severity ``min_severity`` up)."""
        order = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH]
        try:
            wanted = order.index(Severity(self.config.min_severity))
        except ValueError:
            wanted = order.index(Severity.MEDIUM)
        return order.index(Severity(finding.severity)) >= wanted

    def efficacy(self, kind: str) -> float:
        """The assumed share of the problem a change of this type removes."""
        return float(self.config.efficacy.get(kind, 0.5))


def thin_note(findings: Sequence[Finding]) -> str:
    """A rationale prefix flagging thin evidence ("" when the evidence is solid)."""
    thin = [f for f in findings if f.thin_evidence]
    if not thin:
        return ""
    sizes = ", ".join(str(f.sample_size) for f in thin)
    return (
        f"THIN EVIDENCE (sample size {sizes}): confidence lowered; treat as a hypothesis "
        "and A/B test before adopting. "
    )


def evidence_list(*pairs: tuple[str, Any], findings: Sequence[Finding] = ()) -> list[dict]:
    """Single-key evidence mappings (None values left out), then finding and event ids."""
    out: list[dict[str, Any]] = []
    for key, value in pairs:
        if value is None or value == [] or value == "":
            continue
        out.append({key: round(value, 4) if isinstance(value, float) else value})
    for finding in findings:
        out.append({"finding_id": finding.id})
    events = [e.event_id for f in findings for e in f.examples if e.event_id]
    if events:
        out.append({"example_event_ids": list(dict.fromkeys(events))})
    return out


def make(
    kind: str,
    target: Target,
    *,
    new_text: str,
    rationale: str,
    findings: Sequence[Finding],
    ctx: RuleContext,
    evidence: list[dict[str, Any]],
    gate_gain: float = 0.0,
    retry_cut: float = 0.0,
    tokens: str | None = None,
    effort: str = "low",
    risk: str = "low",
    markers: Sequence[str] = (),
) -> Suggestion | None:
    """Build a suggestion.

    Returns None if the new text would change nothing, or if the role's current prompt
    already holds every one of ``markers`` (texts the edit adds, e.g. the quoted
    rejections): then the change was already made, e.g. by applying an earlier suggestion.
    """
    if new_text.strip() == target.old_text.strip():
        return None
    present = [m for m in markers if m]
    prompt = "\n".join(target.version.sections.values()) if target.version else ""
    if present and all(m in prompt or m in target.old_text for m in present):
        return None
    if tokens is None:
        grown = len(new_text) - len(target.old_text)
        total = sum(len(t) for t in target.version.sections.values()) if target.version else 0
        tokens = "neutral" if total and grown <= 0.1 * total else "slightly_worse"
        if grown < 0:
            tokens = "improved"
    return Suggestion(
        suggestion_id="",
        agent_role=target.role,
        suggestion_type=str(kind),
        confidence=ctx.confidence(kind, findings),
        evidence=evidence,
        proposed_change=ProposedChange(
            prompt_file=target.prompt_file,
            section=target.section,
            old_text=target.old_text,
            new_text=new_text,
            rationale=(thin_note(findings) + rationale).strip(),
        ),
        expected_impact=_impact(gate_gain, retry_cut, tokens),
        implementation_effort=effort,
        risk=risk,
        base_version=target.version.id if target.version else None,
        finding_ids=[f.id for f in findings],
        impact=max((float(f.impact or 0) for f in findings), default=0.0),
    )


def _clamp(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 2)


def _impact(gate_gain: float, retry_cut: float, tokens: str) -> ExpectedImpact:
    return ExpectedImpact(_clamp(gate_gain), _clamp(retry_cut), tokens)


def num(evidence: Mapping[str, Any], key: str, default: float | None = None) -> float | None:
    """A number from a finding's evidence, or ``default`` when missing or not a number."""
    value = evidence.get(key)
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def items(evidence: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """A ``[{text, count, ...}]`` list from a finding's evidence (tolerates plain strings)."""
    raw = evidence.get(key) or []
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping):
            out.append(dict(item))
        elif isinstance(item, str):
            out.append({"text": item, "count": 1})
    return out
