"""What rules read besides findings: the registry view (current versions, sections to
edit), the settings' priors and confidence, and the gate causes a prompt edit may fix;
what the rules set aside is collected here too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autoforge_learn.findings import Finding, GateCauseEvidence, Severity, Status
from autoforge_learn.registry import PromptRegistry, PromptVersion, RegistryError
from autoforge_learn.settings import SuggestSettings
from autoforge_learn.suggest.attribution import (
    Attribution,
    Current,
    attribute,
    current_state,
    phrasings,
)
from autoforge_learn.suggest.estimates import Measured, confidence, finding_measured
from autoforge_learn.suggest.prose import quotes
from autoforge_learn.suggest.runs import SetAside, SetAsideReason
from autoforge_learn.suggest.text import best_section


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


@dataclass(frozen=True)
class GateCause:
    """A gate failure cause the rules may act on: attributable, not fixed yet.

    Attributes:
        attribution: Why it is the prompt's doing.
        current: The cause in the role's current version.
        measured: The rate the estimates use (current version's, else the finding's).
    """

    attribution: Attribution
    current: Current
    measured: Measured


class RuleContext:
    """What rules read besides findings: the registry and the settings; what they set
    aside is collected here.

    Args:
        registry: The prompt registry (None: no prompts, every section is new).
        config: The settings.
    """

    def __init__(self, registry: PromptRegistry | None, config: SuggestSettings) -> None:
        self.registry = registry
        self.config = config
        self._latest: dict[str, PromptVersion | None] = {}
        self._causes: dict[str, GateCause | None] = {}
        #: (role, section) pairs another rule of this run rewrites wholesale (rule 5):
        #: other rules do not pick them, so their suggestions can all be applied.
        self.reserved: set[tuple[str, str]] = set()
        #: Discoveries that make no prompt edit, by finding id, with the reason.
        self.set_aside: dict[str, SetAside] = {}

    def latest(self, role: str) -> PromptVersion | None:
        """The role's current default version (the registry's default: set by an
        experiment's conclusion, else the newest active version; None if it has none or
        the role is invalid)."""
        if role not in self._latest:
            try:
                found = self.registry.default(role) if self.registry else None
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

    def ancestors(self, version: PromptVersion | None) -> list[PromptVersion]:
        """The version's parent, grandparent... (nearest first)."""
        out: list[PromptVersion] = []
        seen = {version.id} if version else set()
        current = self.version(version.parent) if version else None
        while current is not None and current.id not in seen:
            out.append(current)
            seen.add(current.id)
            current = self.version(current.parent)
        return out

    def next_version(self, role: str) -> str:
        """The id ``autoforge prompts apply`` gives the role's next version now."""
        try:
            existing = self.registry.versions(role) if self.registry else []
        except RegistryError:
            existing = []
        if not existing:
            return f"{role}.v1.0"
        major, minor = max(v.number for v in existing)
        return f"{role}.v{major}.{minor + 1}"

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

    def acts_on(self, finding: Finding) -> bool:
        """Whether a finding may make a suggestion: a discovery (its claim survived the
        run's false discovery control) of severity ``min_severity`` or above."""
        if finding.status != Status.DISCOVERY:
            return False
        order = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH]
        try:
            wanted = order.index(Severity(self.config.min_severity))
        except ValueError:
            wanted = order.index(Severity.MEDIUM)
        return order.index(Severity(finding.severity)) >= wanted

    def efficacy(self, kind: str) -> float:
        """The assumed share of the problem a change of this type removes (a prior)."""
        return float(self.config.efficacy.get(kind, 0.5))

    def prior(self, kind: str) -> float:
        """The assumed chance that a change of this type works (a prior)."""
        return float(self.config.priors.get(kind, 0.7))

    def confidence(
        self, kind: str, findings: Sequence[Finding], *, tested: bool = True
    ) -> tuple[float, str]:
        """The confidence score and its basis (see :mod:`.estimates`)."""
        value, basis = confidence(
            self.prior(kind),
            findings,
            half_projects=self.config.confidence_projects,
            wording_factor=None if tested else self.config.wording_factor,
            kind=str(kind),
        )
        if any(f.thin_evidence for f in findings):
            value = round(value * self.config.thin_factor, 2)
            basis += f" x {self.config.thin_factor:g} (thin evidence)"
        return value, basis

    # -- gate causes --------------------------------------------------------------------

    def gate_cause(self, finding: Finding) -> GateCause | None:
        """The cause of a gate failure finding if a prompt edit may fix it: attributable
        to the role's prompt and not already fixed by its current version. Otherwise
        None, and the finding is set aside with the reason (see :mod:`.attribution`)."""
        if finding.id in self._causes:
            return self._causes[finding.id]
        self._causes[finding.id] = found = self._gate_cause(finding)
        return found

    def set_aside_finding(
        self, finding: Finding, reason: SetAsideReason, explanation: str, **extra: Any
    ) -> None:
        """Record that a finding makes no prompt edit, and why (the first reason wins)."""
        role = finding.agent_role or finding.key.get("agent_role")
        version = self.latest(role) if role else None
        self.set_aside.setdefault(finding.id, SetAside(
            finding.id, role, str(reason), explanation,
            current_version=version.id if version else None, **extra,
        ))

    def _gate_cause(self, finding: Finding) -> GateCause | None:
        ev = finding.evidence
        role = finding.agent_role
        if not isinstance(ev, GateCauseEvidence) or not role:
            return None
        version = self.latest(role)
        current = current_state(finding, ev, version, self.ancestors(version), self.config)
        example = next(iter(quotes(phrasings(finding, ev), limit=1,
                                   chars=self.config.max_quote_chars)), (None, 0))[0]
        if current.already_fixed:
            self.set_aside[finding.id] = SetAside(
                finding.id, role, str(SetAsideReason.ALREADY_FIXED),
                current.explanation(finding.threshold), ev.gate_id, example,
                version.id if version else None,
            )
            return None
        attribution = attribute(finding, ev, self.config)
        if not attribution.attributable:
            self.set_aside[finding.id] = SetAside(
                finding.id, role, str(attribution.reason), attribution.basis, ev.gate_id,
                example, version.id if version else None,
            )
            return None
        m = current.measured
        if m is not None and m.rate is not None:
            measured = Measured(
                m.rate, m.low, m.high, m.projects,
                f"the cause's first-check rate in {m.version}",
                per_project=m.checks / m.projects if m.projects else 1.0,
            )
        else:
            projects = finding.projects or (finding.hypothesis.projects
                                            if finding.hypothesis else 0)
            label = "the cause's first-check rate the finding measured" + (
                f" (too little data on the current version {version.id})" if version else "")
            found = finding_measured(finding, label, counts=(
                round(finding.value * ev.gate_checks), ev.gate_checks))
            measured = Measured(
                found.value, found.low, found.high, projects, found.label,
                per_project=ev.gate_checks / projects if projects else 1.0,
            )
        return GateCause(attribution, current, measured)
