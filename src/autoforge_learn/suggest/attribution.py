"""Whether a gate failure cause is the prompt's doing, and whether the prompt already fixed it.

**Attribution.** A cause is put down to the role's prompt when

* its rate differs between the role's prompt versions beyond chance
  (``p_versions_differ`` at most ``suggest.attribution_alpha``), or it is concentrated
  in one prompt version (the segment's ``p_concentrated``, likewise): *tested*; or
* its rejections say the output lacks content (missing, no, lacks, untested...) and the
  data holds one version of the role, so no comparison can tell (or whatever the
  versions with ``suggest.missing_content_attribution: any``): *by wording*.

A cause whose failures mostly read as runtime or infrastructure errors (a traceback,
"An error occurred", a missing module, a timeout...) is never put down to the prompt by
wording; only a concentration in one prompt version (one-sided, the segment test) makes
it the prompt's. Everything else is reported as not attributable, with the reason.

**Already fixed.** The role's current default version is its newest active version
(``RuleContext.latest``). The cause's rate in it (or, with fewer than
``suggest.min_version_projects`` projects there, in its nearest ancestor with data)
says it is fixed when

* its interval's upper end is below the finding's threshold (``cause_rate``); or
* the versions differ beyond chance and its interval's upper end is below the worst
  version's rate: the fix a new suggestion would make was made by a version, which
  removed at least the part of the cause above the current upper bound.

The current prompt's text says it is fixed when one of its sections (name and text)
holds at least three quarters of the cause's key words (:func:`.prose.stated_in`).
"""

from __future__ import annotations

from dataclasses import dataclass

from autoforge_learn.findings import Finding, GateCauseEvidence, VersionRate
from autoforge_learn.registry import PromptVersion
from autoforge_learn.settings import SuggestSettings
from autoforge_learn.suggest.prose import runtime_share
from autoforge_learn.suggest.runs import SetAsideReason
from autoforge_learn.suggest.stated import Statement, best_statement, key_stems, stated_in
from autoforge_learn.suggest.text import is_missing_detail, pct


def phrasings(finding: Finding, ev: GateCauseEvidence) -> list[tuple[str, int]]:
    """The cause's real phrasings with counts (the examples' texts when none)."""
    found = [(p.text, p.count or 1) for p in ev.phrasings if p.text.strip()]
    return found or [(e.text, 1) for e in finding.examples if e.text]


def _p(value: float | None) -> str:
    if value is None:
        return "not tested"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3g}"


@dataclass(frozen=True)
class Attribution:
    """Whether a cause is the prompt's doing.

    Attributes:
        attributable: True if a prompt edit may fix it.
        tested: True when a test of prompt versions backs it (else: by wording).
        basis: Why, in one sentence with the numbers.
        reason: For a cause not attributable, a :class:`SetAsideReason`.
    """

    attributable: bool
    tested: bool
    basis: str
    reason: str | None = None


def attribute(finding: Finding, ev: GateCauseEvidence, config: SuggestSettings) -> Attribution:
    """Whether the cause of a gate failure finding is attributable to the role's prompt
    (see the module docstring)."""
    alpha = config.attribution_alpha
    texts = phrasings(finding, ev)
    runtime = runtime_share(texts or [(ev.cause, 1)])
    seg = ev.segment
    in_version = (
        seg.by == "prompt_version" and seg.p_concentrated is not None
        and seg.p_concentrated <= alpha
    )
    differ = ev.p_versions_differ is not None and ev.p_versions_differ <= alpha
    concentrated = (
        f"it is concentrated in {seg.value} ({pct(seg.rate)} of its runs, "
        f"{_p(seg.p_concentrated)})"
    )
    if runtime >= 0.5:
        if in_version:
            return Attribution(True, True, (
                f"its failures read as runtime errors ({pct(runtime)}), but {concentrated}"))
        where = ""
        if seg.by not in ("prompt_version", "all") and seg.p_concentrated is not None:
            where = f"; it is most frequent on {seg.by} {seg.value} ({_p(seg.p_concentrated)})"
        return Attribution(False, False, (
            f"{pct(runtime)} of its failures read as runtime or infrastructure errors, and "
            f"it is not concentrated in one prompt version ({_version_test(ev, seg)}){where}: "
            "a problem of the environment or the tools, not of the prompt"),
            SetAsideReason.RUNTIME_ERROR)
    if in_version:
        return Attribution(True, True, concentrated)
    if differ:
        return Attribution(True, True, (
            f"its rate differs between prompt versions ({_p(ev.p_versions_differ)}, "
            f"{_rates(ev.by_version)})"))
    missing = is_missing_detail([ev.cause, *(t for t, _ in texts)])
    versions = len([v for v in ev.by_version if v.projects > 0]) or len(ev.versions)
    if missing and (versions <= 1 or config.missing_content_attribution == "any"):
        why = ("the data holds one prompt version of the role, so no comparison can tell"
               if versions <= 1 else "suggest.missing_content_attribution is 'any'")
        return Attribution(True, False, (
            f"its rejections say the output lacks content, and {why}: put down to the "
            "prompt by wording, not tested"))
    if versions <= 1:
        reasons = ["it cannot be compared between prompt versions (one version in the data)"]
    else:
        reasons = [f"its rate does not differ between prompt versions beyond chance "
                   f"({_version_test(ev, seg)}"
                   + (f"; {_rates(ev.by_version)}" if ev.by_version else "") + ")"]
    if seg.by not in ("prompt_version", "all") and seg.p_concentrated is not None and (
        seg.p_concentrated <= alpha
    ):
        reasons.append(
            f"it is concentrated on {seg.by} {seg.value} ({pct(seg.rate)} of its first "
            f"checks there, {_p(seg.p_concentrated)})")
    if not missing:
        reasons.append("its rejections do not name missing content")
    elif versions > 1:
        reasons.append(
            "it reads as missing content, but with several versions in the data only a "
            "difference between them would tie it to the prompt")
    return Attribution(False, False, "; ".join(reasons) + ": not shown to depend on the "
                       "prompt", SetAsideReason.NOT_PROMPT_SPECIFIC)


def _version_test(ev: GateCauseEvidence, seg: object) -> str:
    if ev.p_versions_differ is not None:
        return f"versions differ: {_p(ev.p_versions_differ)}"
    return "one version in the data"


def _rates(rates: list[VersionRate]) -> str:
    return ", ".join(f"{v.version} {pct(v.rate)}" for v in rates if v.rate is not None)


@dataclass(frozen=True)
class Current:
    """The cause in the role's current default version.

    Attributes:
        version: The current default version (None: the role has no prompt).
        measured: The cause's rate in it, or in its nearest ancestor with data.
        fixed: Why the data says the current version fixed it (None: it does not).
        stated: The section of the current prompt that already states it, if any.
        closest: The section that holds most of its key words (for the rationale).
    """

    version: PromptVersion | None
    measured: VersionRate | None
    fixed: str | None
    stated: Statement | None
    closest: Statement | None

    @property
    def already_fixed(self) -> bool:
        return self.fixed is not None or self.stated is not None

    def explanation(self, threshold: float | None) -> str:
        """Why the cause counts as fixed, with the numbers."""
        parts = []
        if self.fixed:
            parts.append(self.fixed)
        if self.stated is not None and self.version is not None:
            parts.append(
                f"section '{self.stated.section}' of {self.version.id} already states it "
                f"({pct(self.stated.coverage)} of its key words: "
                f"{', '.join(self.stated.keys)})")
        m = self.measured
        if (m is not None and m.low is not None and threshold is not None
                and m.low > threshold):
            parts.append(
                f"yet {m.version} still fails {pct(m.rate)} of its runs for it (95% "
                f"{pct(m.low)}-{pct(m.high)}), above the {pct(threshold)} threshold: what "
                "remains needs another remedy than restating the requirement")
        return "; ".join(parts)


def current_state(
    finding: Finding,
    ev: GateCauseEvidence,
    version: PromptVersion | None,
    ancestors: list[PromptVersion],
    config: SuggestSettings,
) -> Current:
    """The cause in the role's current version ``version`` (``ancestors``: its parent,
    grandparent... for when it has no data of its own)."""
    rates = {v.version: v for v in ev.by_version}
    measured: VersionRate | None = None
    for candidate in ([version] if version else []) + ancestors:
        found = rates.get(candidate.id)
        if found is not None and found.rate is not None and (
            found.projects >= config.min_version_projects
        ):
            measured = found
            break
    fixed = _fixed_by_data(finding, ev, measured, version, config)
    keys = key_stems(phrasings(finding, ev))
    sections = version.sections if version else {}
    return Current(
        version=version,
        measured=measured,
        fixed=fixed,
        stated=stated_in(sections, keys),
        closest=best_statement(sections, keys),
    )


def _fixed_by_data(
    finding: Finding,
    ev: GateCauseEvidence,
    measured: VersionRate | None,
    version: PromptVersion | None,
    config: SuggestSettings,
) -> str | None:
    if measured is None or measured.rate is None or measured.high is None or version is None:
        return None
    where = measured.version if measured.version == version.id else (
        f"{measured.version} (the nearest version with data in {version.id}'s lineage)")
    threshold = finding.threshold
    rate = (f"{where} fails {pct(measured.rate)} of its runs for it (95% up to "
            f"{pct(measured.high)}, {measured.projects} projects)")
    if threshold is not None and measured.high < threshold:
        return f"{rate}, below the {pct(threshold)} threshold"
    others = [
        v for v in ev.by_version
        if v.version != measured.version and v.rate is not None
        and v.projects >= config.min_version_projects
    ]
    if not others or ev.p_versions_differ is None:
        return None
    worst = max(others, key=lambda v: v.rate or 0.0)
    if ev.p_versions_differ <= config.attribution_alpha and measured.high < (worst.rate or 0):
        return (
            f"{rate}, wholly below {worst.version}'s {pct(worst.rate)}, and the versions "
            f"differ beyond chance ({_p(ev.p_versions_differ)}): a version already made "
            "the change")
    return None
