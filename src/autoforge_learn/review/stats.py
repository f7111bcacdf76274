"""Summaries of manual reviews per agent role and prompt version.

Only the review that counts for each output (the latest) is summarised.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoforge_learn.review.model import ManualReview
from autoforge_learn.review.store import read_reviews

_SPACE = re.compile(r"\s+")


def count_texts(texts: Iterable[str]) -> list[tuple[str, int]]:
    """Count free texts, most common first.

    Texts that differ only in case, white space or a final period count as one; each is
    shown as its most common spelling. Empty texts are ignored. Ties are broken by
    the text, so the order is stable.
    """
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        shown = _SPACE.sub(" ", text).strip().rstrip(".").strip()
        if not shown:
            continue
        key = shown.casefold()
        counts[key] += 1
        spellings[key][shown] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(spellings[key].most_common(1)[0][0], n) for key, n in ranked]


@dataclass
class GroupStats:
    """Reviews of one agent role and prompt version.

    Attributes:
        agent_role: The reviewed agent's role.
        prompt_version: The prompt version of the reviewed outputs (None if unrecorded).
        reviews: Outputs reviewed.
        mean_rating: Mean overall rating (1-5).
        pass_code_review: Share of outputs that would pass code review ("yes").
        minor_fixes: Share that would pass after minor fixes.
        top_learning_signals: The most frequent learning signals with their counts.
    """

    agent_role: str
    prompt_version: str | None
    reviews: int
    mean_rating: float
    pass_code_review: float
    minor_fixes: float
    top_learning_signals: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_role": self.agent_role,
            "prompt_version": self.prompt_version,
            "reviews": self.reviews,
            "mean_rating": self.mean_rating,
            "pass_code_review": self.pass_code_review,
            "minor_fixes": self.minor_fixes,
            "top_learning_signals": [
                {"text": text, "count": n} for text, n in self.top_learning_signals
            ],
        }


def group_reviews(
    reviews: Iterable[ManualReview],
) -> dict[tuple[str, str | None], list[ManualReview]]:
    """Reviews grouped by ``(agent_role, prompt_version)``, groups sorted by key."""
    groups: dict[tuple[str, str | None], list[ManualReview]] = defaultdict(list)
    for review in reviews:
        groups[(review.agent_role, review.prompt_version)].append(review)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")))


def summarize(reviews: Iterable[ManualReview], *, top: int = 3) -> list[GroupStats]:
    """Statistics per agent role and prompt version of the given reviews.

    Args:
        reviews: The reviews to summarise (one per output: pass the latest ones).
        top: How many learning signals to list per group.
    """
    out = []
    for (role, version), group in group_reviews(reviews).items():
        n = len(group)
        verdicts = Counter(r.checklist.quality.would_pass_code_review for r in group)
        out.append(
            GroupStats(
                agent_role=role,
                prompt_version=version,
                reviews=n,
                mean_rating=round(sum(r.overall_rating for r in group) / n, 3),
                pass_code_review=round(verdicts["yes"] / n, 3),
                minor_fixes=round(verdicts["minor_fixes"] / n, 3),
                top_learning_signals=count_texts(r.learning_signal for r in group)[:top],
            )
        )
    return out


def review_stats(root: Path | str, *, top: int = 3) -> list[GroupStats]:
    """Statistics per agent role and prompt version of a store's reviews (latest only).

    Args:
        root: The ``.autoforge`` directory.
        top: How many learning signals to list per group.
    """
    return summarize(read_reviews(root).latest().values(), top=top)
