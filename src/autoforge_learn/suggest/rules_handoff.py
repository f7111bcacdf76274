"""Rule 6 of 6: improve a role handoff from the downstream agent's feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from autoforge_learn.findings import Finding, HandoffEvidence
from autoforge_learn.suggest.base import RuleContext, evidence_list, make, rate_change
from autoforge_learn.suggest.estimates import finding_measured
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.prose import clean_quote, looks_like_code
from autoforge_learn.suggest.text import PLACEHOLDER, missing_item, pct, slug, words

SEVERITY_ORDER = ("info", "minor", "major", "critical")
#: Feedback texts quoted per missing item.
QUOTES_PER_ITEM = 2


@dataclass
class _Item:
    """One thing the downstream agent said was missing, with the feedback that said so."""

    name: str
    extracted: bool
    count: int = 0
    severity: str | None = None
    texts: list[str] = field(default_factory=list)

    def add(self, text: str, count: int, severity: str | None) -> None:
        self.count += count
        if text not in self.texts:
            self.texts.append(text)
        if severity in SEVERITY_ORDER and (
            self.severity is None
            or SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(self.severity)
        ):
            self.severity = severity


def _clean_name(name: str) -> bool:
    """A missing item fit to name in a prompt: short plain words, no code or template."""
    return (
        3 <= len(name) <= 80 and not PLACEHOLDER.search(name) and not looks_like_code(name)
    )


def _items(finding: Finding, ev: HandoffEvidence, chars: int = 160) -> list[_Item]:
    """Feedback grouped by the item it says is missing (the examples' texts count too);
    feedback is quoted cleanly (code, stack traces and template labels left out)."""
    known = {i.text for i in ev.feedback}
    feedback: list[tuple[str, int, str | None]] = [
        (i.text, i.count, i.severity) for i in ev.feedback
    ] + [(e.text, 1, None) for e in finding.examples if e.text and e.text not in known]
    grouped: dict[str, _Item] = {}
    for raw_text, count, severity in feedback:
        text = clean_quote(raw_text, chars)
        if not text:
            continue
        name = missing_item(text).strip().rstrip(".;:,")
        extracted = name != text.rstrip(".") and _clean_name(name)
        item = grouped.setdefault(name.lower(), _Item(name, extracted))
        item.add(text, count or 1, severity)
    ranked = sorted(grouped.values(), key=lambda i: -i.count)  # stable: first seen first
    return ranked


def _about_output(section: str) -> bool:
    name = section.lower()
    return "handoff" in name or "output" in name


def _quote(item: _Item) -> str:
    """``"text"; "text" and 3 similar (5x, critical)``."""
    shown = "; ".join(f'"{t}"' for t in item.texts[:QUOTES_PER_ITEM])
    more = len(item.texts) - QUOTES_PER_ITEM
    extra = f" and {more} similar" if more > 0 else ""
    level = f", {item.severity}" if item.severity else ""
    return f"{shown}{extra} ({item.count}x{level})"


def _handoff_text(downstream: str, wanted: list[_Item], other: list[_Item]) -> list[str]:
    """The new prompt text: the items the downstream agent named, then its other feedback."""
    lines = [f"Handoff to {downstream}: it rejected earlier outputs for the following."]
    if wanted:
        lines.append("Your output MUST provide:")
        lines += [f"- {i.name}; {downstream} said: {_quote(i)}" for i in wanted]
    if other:
        lines.append(f"Before handing off, check your output against this {downstream} feedback:")
        lines += [f"- {_quote(i)}" for i in other]
    return lines


def role_handoff_improvement(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 6: agent B rejects agent A's output -> ask A for what B said was missing.

    Fires on ``handoff`` findings with at least ``min_rejections`` rejections and
    downstream feedback. The new text lists the real missing items (grouped, most
    frequent first) with the feedback that named them.
    """
    out: list[Suggestion] = []
    for finding in findings:
        ev = finding.evidence
        if not isinstance(ev, HandoffEvidence):
            continue
        upstream = finding.agent_role or finding.key.get("from_role")
        downstream = finding.key.get("to_role") or "the next agent"
        grouped = _items(finding, ev, ctx.config.max_quote_chars)[: max(ctx.config.max_quotes, 5)]
        rejections = float(ev.rejections)
        if not upstream or not grouped or rejections < ctx.config.min_rejections:
            continue
        wanted = [i for i in grouped if i.extracted]
        other = [i for i in grouped if not i.extracted]
        # A handoff is about the output: a section named for it wins; else the words of the
        # feedback decide (frequent feedback counts more).
        query = [w for i in grouped for t in i.texts for w in words(t) * i.count]
        current = ctx.latest(upstream)
        prefer = [n for n in (current.sections if current else {}) if _about_output(n)]
        target = ctx.target(
            upstream, query, new_section=f"handoff_to_{slug(downstream)}", prefer=prefer
        )
        rate = ev.rejection_rate if ev.rejection_rate is not None else finding.value
        lines = _handoff_text(downstream, wanted, other)
        kind = SuggestionType.ROLE_HANDOFF_IMPROVEMENT
        names = [i.name for i in wanted] or [i.texts[0] for i in other]
        measured = finding_measured(
            finding, "the handoff's rejection rate", counts=(int(rejections), int(ev.handoffs))
        )
        impact, plan = rate_change(ctx, kind, measured, metric="downstream_rejection_rate")
        rationale = (
            f"{downstream} rejects {upstream} output {pct(rate)} of the time "
            f"({rejections:.0f} of {ev.handoffs} handoffs"
            + (f"; 95% {pct(measured.low)}-{pct(measured.high)}" if measured.low is not None
               else "")
            + f", {measured.projects} projects); {upstream} is missing "
            f"[{', '.join(names)}]. Ask {upstream} to provide them in its output."
        )
        suggestion = make(
            kind,
            target,
            blocks=[lines],
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(
                ("rejection_rate", rate),
                ("rejections", int(rejections)),
                ("downstream_pass_rate", ev.downstream_pass_rate),
                ("info_quality_score", ev.info_quality_score),
                ("handoff", f"{upstream} -> {downstream}"),
                ("missing_items", names),
                ("root_cause", f"{upstream} output missing {names[0]}"),
                ("q_value", finding.hypothesis.q_value if finding.hypothesis else None),
                findings=[finding],
            ),
            impact=impact,
            plan=plan,
            attribution=(
                f"{downstream} rejects {upstream}'s handoffs (the finding's test over "
                f"projects); what it asks for is in {upstream}'s output"
            ),
            effort="low",
            risk="medium" if finding.thin_evidence else "low",
            markers=[f"- {i.name}; " for i in wanted] + [f'"{i.texts[0]}"' for i in other],
        )
        if suggestion:
            out.append(suggestion)
    return out
