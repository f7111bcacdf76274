"""What every rule shares: settings, the registry view, confidence, evidence, targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autoforge_learn.findings import Finding, Severity
from autoforge_learn.registry import PromptRegistry, PromptVersion, RegistryError
from autoforge_learn.settings import SuggestSettings
from autoforge_learn.suggest.model import (
    ExpectedImpact,
    ProposedChange,
    Suggestion,
    SuggestionType,
)
from autoforge_learn.suggest.text import best_section

T = SuggestionType

SEVERITY_WEIGHT = {Severity.HIGH: 1.0, Severity.MEDIUM: 0.9, Severity.LOW: 0.75, Severity.INFO: 0.6}


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

    def __init__(self, registry: PromptRegistry | None, config: SuggestSettings) -> None:
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
