"""Manual reviews as evidence for suggestions.

Reviewers' learning signals ("Agent didn't follow constraint about error handling;
tighten prompt") feed the engine two ways:

* :func:`attach_review_evidence`: a suggestion for a role that reviewers also flagged
  gets their signals as extra evidence (its confidence, estimated from the findings'
  statistics, is not changed by them);
* :func:`reviewer_constraint`: a role whose reviews are poor (a ``manual_review``
  discovery of medium or high severity) but that no other rule addresses gets a
  constraint built from the reviewers' own words (rule 1, constraint clarity). Review
  findings are discoveries only when they carry a tested claim.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autoforge_learn.findings import Finding, ReviewEvidence
from autoforge_learn.suggest.base import Impact, Plan, RuleContext, evidence_list, make
from autoforge_learn.suggest.estimates import finding_measured, sd_from_interval
from autoforge_learn.suggest.model import Suggestion, SuggestionType
from autoforge_learn.suggest.prose import clean_quote

_MAX_SIGNALS = 3
#: A mean rating below this is worth acting on (as ``review.signals.GOOD_RATING``).
GOOD_RATING = 4.0


def _signals(ev: ReviewEvidence) -> list[str]:
    texts = [clean_quote(i.text) for i in (*ev.learning_signals, *ev.suggested_improvements)]
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
        lines = [
            f"Reviewers of {role} outputs asked for the following; treat each as a "
            "requirement:",
            *(f"- {s}" for s in signals),
        ]
        mean, reviews = ev.mean_rating, ev.reviews
        kind = SuggestionType.CONSTRAINT_CLARITY
        e = ctx.efficacy(kind)
        measured = finding_measured(finding, "the mean manual rating")
        gap = max(GOOD_RATING - mean, 0.0)
        sd = sd_from_interval(measured)
        sd_basis = "SD from the rating's interval"
        if sd is None:
            sd, sd_basis = 1.0, "SD assumed 1 rating point"
        rationale = (
            f"Manual reviews of {role} outputs rate them {mean}/5 on average over {reviews} "
            f"review(s); their learning signals name what to tighten."
        )
        suggestion = make(
            kind,
            target,
            blocks=[lines],
            rationale=rationale,
            findings=[finding],
            ctx=ctx,
            evidence=evidence_list(
                ("mean_review_rating", mean),
                ("reviews", reviews),
                ("reviewer_learning_signals", signals),
                findings=[finding],
            ),
            impact=Impact(
                gate=None, retry=None,
                basis="not estimated: reviews measure ratings, not gates or retries (0); the "
                "experiment compares ratings",
            ),
            plan=Plan(
                metric="quality_score",
                effect=e * gap if gap > 0 else 0.1,
                sd=sd if math.isfinite(sd) and sd > 0 else 1.0,
                basis=f"expected effect = efficacy {e:g} (a prior) x the gap to {GOOD_RATING:g}/5, "
                f"{gap:.2f} points; {sd_basis}",
            ),
            attribution="manual reviewers' learning signals about this role's outputs",
            tested=False,
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
