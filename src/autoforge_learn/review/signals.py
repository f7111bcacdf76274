"""Manual reviews as evidence for the suggestion engine (their ``learning_signal``).

:func:`learning_signals` turns the reviews of each agent role and prompt version into
one :class:`~autoforge_learn.findings.Finding` of pattern ``manual_review``,
so that what reviewers wrote reaches prompt suggestions the same way as what the
pattern detectors measured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from autoforge_learn.findings import Example, Finding, Pattern, ReviewEvidence, Severity, TextCount
from autoforge_learn.review.model import ManualReview
from autoforge_learn.review.stats import count_texts, group_reviews
from autoforge_learn.review.store import read_reviews

#: A mean rating below this is worth acting on (the finding's threshold).
GOOD_RATING = 4.0
#: Mean ratings below these are ``high`` and ``medium`` severity; below GOOD_RATING
#: ``low``; from GOOD_RATING up ``info``.
HIGH_BELOW = 2.5
MEDIUM_BELOW = 3.5
#: Fewer reviews than this are thin evidence.
MIN_REVIEWS = 3
#: Most examples (reviewed outputs) a finding carries.
MAX_EXAMPLES = 10


def rating_severity(mean_rating: float) -> Severity:
    """Severity of a mean overall rating (1-5): < 2.5 high, < 3.5 medium, < 4 low, else info."""
    if mean_rating < HIGH_BELOW:
        return Severity.HIGH
    if mean_rating < MEDIUM_BELOW:
        return Severity.MEDIUM
    if mean_rating < GOOD_RATING:
        return Severity.LOW
    return Severity.INFO


def _interval(ratings: list[int]) -> tuple[float, float] | None:
    from autoforge_learn.stats.intervals import mean_interval

    found = mean_interval(ratings)
    if found is None:
        return None
    return max(1.0, round(found[0], 3)), min(5.0, round(found[1], 3))


def _examples(group: list[ManualReview]) -> list[Example]:
    # Reviews with a learning signal first, newest first; then the others.
    ordered = sorted(group, key=lambda r: (not r.learning_signal, -r.reviewed_at.timestamp()))
    return [
        Example(event_id=r.event_id, project_id=r.project_id, text=r.learning_signal or None)
        for r in ordered[:MAX_EXAMPLES]
    ]


def _finding(role: str, version: str | None, group: list[ManualReview], baseline: float) -> Finding:
    n = len(group)
    ratings = [r.overall_rating for r in group]
    mean = round(sum(ratings) / n, 3)
    signals = count_texts(r.learning_signal for r in group)
    improvements = count_texts(r.suggested_improvements for r in group)
    failures = Counter(item for r in group for item in r.checklist.failures())
    title = f"{role} {version or '(no prompt version)'}: mean manual rating {mean:.1f}/5 " + (
        f"over {n} review{'s' if n != 1 else ''}"
    )
    if signals:
        title += f"; top learning signal: {signals[0][0]!r} ({signals[0][1]})"
    key = {"agent_role": role, "prompt_version": version or ""}
    return Finding(
        pattern=Pattern.MANUAL_REVIEW,
        key=key,
        title=title,
        severity=rating_severity(mean),
        metric="mean_rating",
        value=mean,
        sample_size=n,
        interval=_interval(ratings),
        threshold=GOOD_RATING,
        baseline=baseline,
        impact=round(max(0.0, GOOD_RATING - mean) * n, 3),
        thin_evidence=n < MIN_REVIEWS,
        agent_role=role,
        prompt_version=version,
        evidence=ReviewEvidence(
            reviews=n,
            mean_rating=mean,
            learning_signals=[TextCount(text=t, count=c) for t, c in signals],
            suggested_improvements=[TextCount(text=t, count=c) for t, c in improvements],
            checklist_failures=dict(sorted(failures.items())),
        ),
        examples=_examples(group),
    )


def findings_from_reviews(reviews: Iterable[ManualReview]) -> list[Finding]:
    """One ``manual_review`` finding per agent role and prompt version.

    Args:
        reviews: One review per output (the latest ones).

    Returns:
        Findings, the most worth acting on (largest impact) first, then by id.
    """
    items = list(reviews)
    if not items:
        return []
    baseline = round(sum(r.overall_rating for r in items) / len(items), 3)
    found = [
        _finding(role, version, group, baseline)
        for (role, version), group in group_reviews(items).items()
    ]
    return sorted(found, key=lambda f: (-f.impact, f.id))


def learning_signals(root: Path | str) -> list[Finding]:
    """The manual reviews of a store as findings for the suggestion engine.

    Each finding has pattern ``manual_review``, key ``{agent_role, prompt_version}``
    (empty string when the version is unknown), metric ``mean_rating`` with its t
    interval, the severity of :func:`rating_severity`, ``thin_evidence`` under 3
    reviews, and evidence ``{reviews, mean_rating, learning_signals: [{text, count}],
    suggested_improvements: [{text, count}], checklist_failures: {item: count}}``,
    where a checklist failure is any answer but the item's best one. Its examples are
    the reviewed outputs with their learning signal as text (at most 10, those with a
    signal first). Only the latest review of each output counts.

    Args:
        root: The ``.autoforge`` directory.
    """
    return findings_from_reviews(read_reviews(root).latest().values())
