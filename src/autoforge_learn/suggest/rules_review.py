"""Manual reviews (spec 3.2) as evidence for suggestions.

Reviewers' learning signals ("Agent didn't follow constraint about error handling;
tighten prompt") feed the engine two ways:

* :func:`attach_review_evidence`: a suggestion for a role that reviewers also flagged
  gets their signals as extra evidence (and a small confidence boost for the
  corroboration);
* :func:`reviewer_constraint`: a role whose reviews are poor (a ``manual_review``
  finding of medium or high severity) but that no other rule addresses gets a
  constraint built from the reviewers' own words (rule 1, constraint clarity).
"""

from __future__ import annotations

from collections.abc import Sequence

from autoforge_learn.findings import Finding, ReviewEvidence
from autoforge_learn.suggest.base import RuleContext, evidence_list, make
from autoforge_learn.suggest.model import Suggestion, SuggestionType

_MAX_SIGNALS = 3


def _signals(ev: ReviewEvidence) -> list[str]:
    texts = [i.text.strip() for i in (*ev.learning_signals, *ev.suggested_improvements)]
    return [t for t in dict.fromkeys(texts) if t][:_MAX_SIGNALS]


def reviewer_constraint(findings: Sequence[Finding], ctx: RuleContext) -> list[Suggestion]:
    """Rule 1 from reviews: the reviewers' learning signals as explicit requirements."""
    out = []
    for finding in findings:
        ev = finding.evidence
        if not isinstance(ev, ReviewEvidence) or not finding.agent_role:
            continue
        signals = _signals(ev)
        if not signals:
            continue
        role = finding.agent_role
        target = ctx.target(role, signals, new_section="reviewer_guidance")
        lines = "\n".join(f"- {s}" for s in signals)
        new_text = (
            (target.old_text.rstrip() + "\n\n" if target.old_text.strip() else "")
            + f"Reviewers of {role} outputs asked for the following; treat each as a "
            f"requirement:\n{lines}"
        )
        mean, reviews = ev.mean_rating, ev.reviews
        rationale = (
            f"Manual reviews of {role} outputs rate them {mean}/5 on average over {reviews} "
            f"review(s); their learning signals name what to tighten."
        )
        suggestion = make(
            SuggestionType.CONSTRAINT_CLARITY,
            target,
            new_text=new_text,
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(
                ("mean_review_rating", mean),
                ("reviews", reviews),
                ("reviewer_learning_signals", signals),
                findings=[finding],
            ),
            gate_gain=0.05,
            retry_cut=0.05,
            markers=signals,
        )
        if suggestion is not None:
            out.append(suggestion)
    return out


def attach_review_evidence(suggestions: Sequence[Suggestion], findings: Sequence[Finding]) -> None:
    """Add reviewers' signals about a suggestion's role to its evidence, in place."""
    by_role: dict[str, list[tuple[Finding, ReviewEvidence]]] = {}
    for f in findings:
        if isinstance(f.evidence, ReviewEvidence) and f.agent_role:
            by_role.setdefault(f.agent_role, []).append((f, f.evidence))
    for s in suggestions:
        found = by_role.get(s.agent_role, [])
        reviews = [f for f, _ in found]
        signals = [text for _, ev in found for text in _signals(ev)]
        if not signals or any(f.id in s.finding_ids for f in reviews):
            continue
        s.evidence.append({"reviewer_learning_signals": list(dict.fromkeys(signals))})
        s.finding_ids.extend(f.id for f in reviews)
        s.confidence = round(min(0.95, s.confidence + 0.03), 2)
