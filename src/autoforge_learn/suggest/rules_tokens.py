"""Rule 5 of 6: remove a constraint that costs tokens without improving quality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autoforge_learn.findings import Finding, TokenEvidence
from autoforge_learn.registry import PromptVersion, parse_version_id
from autoforge_learn.registry.prompts import RegistryError
from autoforge_learn.suggest.base import Impact, Plan, RuleContext, Target, evidence_list, make
from autoforge_learn.suggest.estimates import finding_measured, sd_from_interval
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.text import added_lines, pct, remove_lines

#: Rough characters per token of English prompt text (for the savings estimate only).
CHARS_PER_TOKEN = 4


def _role(finding: Finding, version_id: str) -> str | None:
    if finding.agent_role:
        return finding.agent_role
    try:
        return parse_version_id(version_id)[0]
    except RegistryError:
        return None


def _quality_improved(ev: TokenEvidence, ctx: RuleContext) -> bool:
    """Whether the version's quality is really better than the best version's.

    Uses the detector's ``p_better_quality`` when given, else the lower end of
    ``pass_rate_interval``, else the pass rates themselves (with ``quality_tolerance``).
    """
    if ev.p_better_quality is not None:
        return ev.p_better_quality < ctx.config.quality_alpha
    pass_rate, best_rate = ev.pass_rate, ev.best_pass_rate
    if pass_rate is None or best_rate is None:
        return False
    if len(ev.pass_rate_interval) == 2:
        return ev.pass_rate_interval[0] > best_rate + ctx.config.quality_tolerance
    return pass_rate > best_rate + ctx.config.quality_tolerance


@dataclass(frozen=True)
class CostlyVersion:
    """A prompt version whose extra tokens buy no quality, with what its text is compared to.

    Attributes:
        role: The agent role.
        version: The costly version.
        parent: The version it was derived from.
        current: The role's current version (where the added text is removed).
    """

    role: str
    version: PromptVersion
    parent: PromptVersion
    current: PromptVersion


@dataclass(frozen=True)
class SectionRemoval:
    """One section of the current prompt without the text the costly version added.

    Attributes:
        section: The section name.
        current_text: Its text in the current version.
        new_text: Its text without the added lines (``""``: drop the section).
    """

    section: str
    current_text: str
    new_text: str

    @property
    def removed_chars(self) -> int:
        """How many characters shorter the section gets."""
        return len(self.current_text) - len(self.new_text)


def _costly_version(finding: Finding, ev: TokenEvidence, ctx: RuleContext) -> CostlyVersion | None:
    """The finding's version if it is not the best and not significantly better, with its
    parent and the role's current version (None if any of them is missing)."""
    version_id = finding.key.get("prompt_version") or finding.prompt_version
    if not version_id or ev.best_version == version_id:
        return None
    role = _role(finding, version_id)
    if _quality_improved(ev, ctx):
        return None  # the extra tokens buy quality: not this rule's case
    version = ctx.version(version_id)
    parent = ctx.version(version.parent) if version else None
    current = ctx.latest(role) if role else None
    if not role or version is None or parent is None or current is None:
        return None
    return CostlyVersion(role=role, version=version, parent=parent, current=current)


def _section_removal(costly: CostlyVersion, name: str, text: str) -> SectionRemoval | None:
    """The current section without what the costly version added to section ``name``.

    None when the version did not change the section, the current prompt no longer has
    it or its added lines, or removing them changes nothing. A rewritten section still
    as the costly version left it goes back to its parent's text.
    """
    before = costly.parent.sections.get(name)
    if before == text or name not in costly.current.sections:
        return None
    added = [
        line
        for line in added_lines(before or "", text)
        if line.strip() and line not in (before or "").splitlines()
    ]
    now = costly.current.sections[name]
    if not added or not any(line.strip() in now for line in added):
        return None
    if before is not None and now == text:
        new_text = before
    else:
        new_text = remove_lines(now, added)
    if new_text.strip() == now.strip():
        return None
    return SectionRemoval(section=name, current_text=now, new_text=new_text)


def _removal_rationale(
    costly: CostlyVersion, removal: SectionRemoval, ev: TokenEvidence, prompt_chars: int
) -> str:
    """Why the text can go: quality no better than the best version's, tokens higher."""
    saved = removal.removed_chars
    changes = "; ".join(costly.version.changes) or "no changelog"
    ratio = ev.excess_ratio
    return (
        f"{costly.version.id} added this text to '{removal.section}' ({changes}), but quality "
        f"is not significantly better: pass rate {pct(ev.pass_rate)} vs {pct(ev.best_pass_rate)}"
        f" for {_name(ev.best_version)}, while it uses "
        + (f"{pct(ratio)} more" if ratio is not None else "more")
        + " tokens per successful output. Removing it shortens the prompt by "
        f"{saved} characters (~{saved // CHARS_PER_TOKEN} tokens, "
        f"{pct(saved / prompt_chars)} of the prompt); no quality regression expected."
    )


def constraint_removal(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 5: a prompt version added text that costs tokens but buys no quality -> remove it.

    Fires on ``token_efficiency`` findings whose version is not significantly better than
    the best version (see :func:`_quality_improved`), for each section where that version
    added lines over its parent and the lines are still in the role's current prompt.
    ``new_text`` is the current section without the added lines (``""``: drop the
    section; a rewritten section goes back to its parent's text).
    """
    out: list[Suggestion] = []
    for finding in findings:
        ev = finding.evidence
        if not isinstance(ev, TokenEvidence):
            continue
        costly = _costly_version(finding, ev, ctx)
        if costly is None:
            continue
        prompt_chars = sum(len(t) for t in costly.current.sections.values()) or 1
        for name, text in costly.version.sections.items():
            removal = _section_removal(costly, name, text)
            if removal is None:
                continue
            version_id = costly.version.id
            suggestion = make(
                SuggestionType.CONSTRAINT_REMOVAL,
                Target(costly.role, costly.current, name, removal.current_text),
                new_text=removal.new_text,
                rationale=_removal_rationale(costly, removal, ev, prompt_chars),
                findings=[finding],
                ctx=ctx,
                evidence=evidence_list(
                    ("avg_tokens_per_success", ev.avg_tokens_per_success),
                    ("best_avg_tokens", ev.best_avg_tokens),
                    ("excess_ratio", ev.excess_ratio),
                    ("pass_rate", ev.pass_rate),
                    ("best_pass_rate", ev.best_pass_rate),
                    ("best_version", ev.best_version),
                    ("added_in", version_id),
                    ("root_cause", f"verbose text added in {version_id}"),
                    ("removed_chars", removal.removed_chars),
                    findings=[finding],
                ),
                impact=Impact(
                    gate=None, retry=None, tokens="improved",
                    basis="gate_success_improvement and retry_reduction not estimated (0): "
                    f"none expected, as {version_id}'s quality is no better than "
                    f"{_name(ev.best_version)}'s",
                ),
                plan=_token_plan(finding, ev),
                attribution=(
                    f"{version_id} uses more tokens per success than "
                    f"{_name(ev.best_version)} (the finding's test over projects); the text "
                    "it added is the change"
                ),
                effort="low",
                risk="medium" if finding.thin_evidence else "low",
            )
            if suggestion:
                out.append(suggestion)
    return out


def _name(version: str) -> str:
    """A version id, or a description such as ``(the other versions)`` without brackets."""
    return version.strip("()")


def _token_plan(finding: Finding, ev: TokenEvidence) -> Plan:
    """The experiment of a removal: tokens per success, sized for the measured excess."""
    avg = ev.avg_tokens_per_success if ev.avg_tokens_per_success is not None else finding.value
    best = ev.best_avg_tokens if ev.best_avg_tokens is not None else avg / (
        1 + (ev.excess_ratio or 0.0))
    effect = max(float(avg) - float(best), 1.0)
    sd = sd_from_interval(finding_measured(finding, "tokens per success"))
    sd_basis = "SD from the finding's interval over projects"
    if sd is None:
        sd, sd_basis = 0.5 * float(avg), "SD assumed half the mean (no interval)"
    return Plan(
        metric="tokens_per_success",
        effect=effect,
        sd=max(sd, 1.0),
        basis=f"expected effect = the measured excess, {avg:.0f} - {best:.0f} tokens per "
        f"success, assuming the removal brings the version back to "
        f"{_name(ev.best_version)}; "
        f"{sd_basis}; check the pass rate does not fall",
    )
