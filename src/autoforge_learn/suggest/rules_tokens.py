"""Rule 5 of spec 6.1: remove a constraint that costs tokens without improving quality."""

from __future__ import annotations

from collections.abc import Sequence

from autoforge_learn.findings import Finding, TokenEvidence
from autoforge_learn.registry import parse_version_id
from autoforge_learn.registry.prompts import RegistryError
from autoforge_learn.suggest.base import RuleContext, Target, evidence_list, make
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
        version_id = finding.key.get("prompt_version") or finding.prompt_version
        if not version_id or ev.best_version == version_id:
            continue
        role = _role(finding, version_id)
        pass_rate, best_rate = ev.pass_rate, ev.best_pass_rate
        if _quality_improved(ev, ctx):
            continue  # the extra tokens buy quality: not this rule's case
        version = ctx.version(version_id)
        parent = ctx.version(version.parent) if version else None
        current = ctx.latest(role) if role else None
        if not role or version is None or parent is None or current is None:
            continue
        total = sum(len(t) for t in current.sections.values()) or 1
        for name, text in version.sections.items():
            before = parent.sections.get(name)
            if before == text or name not in current.sections:
                continue
            added = [
                line
                for line in added_lines(before or "", text)
                if line.strip() and line not in (before or "").splitlines()
            ]
            now = current.sections[name]
            if not added or not any(line.strip() in now for line in added):
                continue
            if before is not None and now == text:
                new_text = before
            else:
                new_text = remove_lines(now, added)
            if new_text.strip() == now.strip():
                continue
            saved = len(now) - len(new_text)
            target = Target(role, current, name, now)
            changes = "; ".join(version.changes) or "no changelog"
            ratio = ev.excess_ratio
            rationale = (
                f"{version_id} added this text to '{name}' ({changes}), but quality is not "
                f"significantly better: pass rate {pct(pass_rate)} vs {pct(best_rate)} for "
                f"{ev.best_version}, while it uses "
                + (f"{pct(ratio)} more" if ratio is not None else "more")
                + " tokens per successful output. Removing it shortens the prompt by "
                f"{saved} characters (~{saved // CHARS_PER_TOKEN} tokens, "
                f"{pct(saved / total)} of the prompt); no quality regression expected."
            )
            suggestion = make(
                SuggestionType.CONSTRAINT_REMOVAL,
                target,
                new_text=new_text,
                rationale=rationale,
                findings=[finding],
                ctx=ctx,
                evidence=evidence_list(
                    ("avg_tokens_per_success", ev.avg_tokens_per_success),
                    ("best_avg_tokens", ev.best_avg_tokens),
                    ("excess_ratio", ratio),
                    ("pass_rate", pass_rate),
                    ("best_pass_rate", best_rate),
                    ("best_version", ev.best_version),
                    ("added_in", version_id),
                    ("root_cause", f"verbose text added in {version_id}"),
                    ("removed_chars", saved),
                    findings=[finding],
                ),
                gate_gain=0.0,
                retry_cut=0.0,
                tokens="improved",
                effort="low",
                risk="medium" if finding.thin_evidence else "low",
            )
            if suggestion:
                out.append(suggestion)
    return out
