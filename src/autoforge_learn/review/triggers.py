"""Which outputs the review queue selects, and why (its four triggers).

See :mod:`autoforge_learn.review.queue` for what each trigger means; here they are
computed over the linked outputs of a store (:class:`~autoforge_learn.review.data.ReviewData`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any

from autoforge_learn.review.data import ReviewData, use_time

#: The review queue's triggers, in the order the queue serves them.
TRIGGERS = ("escalation", "low_automatic_score", "new_prompt_version", "random_sample")
DEFAULT_RATE = 0.05
LOW_SCORE = 70.0
FIRST_USES = 10


def sample_draw(seed: int, event_id: str) -> float:
    """A uniform number in [0, 1) fixed by the seed and the event id (BLAKE2b)."""
    digest = hashlib.blake2b(f"{seed}:{event_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _first_uses(data: ReviewData, first_uses: int) -> dict[str, int]:
    """Outputs among the first ``first_uses`` uses of their prompt version, with their
    use number (1 for the first), by time of use, then event id."""
    uses: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for event_id, context in data.contexts.items():
        output = context.output
        if output.prompt_version is not None:
            uses[output.prompt_version].append((use_time(output), event_id))
    first: dict[str, int] = {}
    for version_uses in uses.values():
        for number, (_, event_id) in enumerate(sorted(version_uses)[:first_uses], start=1):
            first[event_id] = number
    return first


def select_outputs(
    data: ReviewData,
    *,
    seed: int,
    rate: float = DEFAULT_RATE,
    low_score: float = LOW_SCORE,
    first_uses: int = FIRST_USES,
) -> dict[str, dict[str, Any]]:
    """The outputs each trigger selects.

    Args:
        data: The linked outputs of a store.
        seed: Seed of the random sample.
        rate: Share of outputs in the random sample, 0 to 1.
        low_score: Projects scoring below this are ``low_automatic_score``.
        first_uses: Uses of each prompt version that are ``new_prompt_version``.

    Returns:
        ``{event_id: {"triggers": [...], "details": {...}}}`` for each selected output,
        triggers in :data:`TRIGGERS` order.

    Raises:
        ValueError: If ``rate`` is not between 0 and 1 or ``first_uses`` is negative.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    if first_uses < 0:
        raise ValueError(f"first_uses must be at least 0, got {first_uses}")
    hits: dict[str, dict[str, Any]] = defaultdict(lambda: {"triggers": [], "details": {}})
    first = _first_uses(data, first_uses)
    for event_id, context in data.contexts.items():
        if context.escalations:
            hit = hits[event_id]
            hit["triggers"].append("escalation")
            hit["details"]["escalations"] = [e.event_id for e in context.escalations]
        if context.quality_score is not None and context.quality_score < low_score:
            hit = hits[event_id]
            hit["triggers"].append("low_automatic_score")
            hit["details"]["quality_score"] = context.quality_score
        if event_id in first:
            hit = hits[event_id]
            hit["triggers"].append("new_prompt_version")
            hit["details"]["prompt_use"] = first[event_id]
        draw = sample_draw(seed, event_id)
        if draw < rate:
            hit = hits[event_id]
            hit["triggers"].append("random_sample")
            hit["details"]["draw"] = round(draw, 6)
    return dict(hits)
