"""Who is reviewing what: a claim keeps two reviewers off the same output.

``autoforge review next`` claims the output it shows for its reviewer. Another
reviewer's ``next`` passes over outputs someone else claimed within the last
:data:`CLAIM_MINUTES` minutes; the same reviewer gets their claimed output again (an
interrupted review resumes). A review makes the output done, which frees it; an unused
claim simply expires.

Claims live in ``labeled/review_claims.jsonl``, rewritten under the queue's lock with the
claims still running, so two reviewers starting at the same moment get two outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from autoforge_learn.review.queue import QueueItem
from autoforge_learn.review.store import queue_lock, write_jsonl_atomic
from autoforge_learn.store.layout import StoreLayout

CLAIMS_FILE = "review_claims.jsonl"
#: How long a claim keeps other reviewers away from an output.
CLAIM_MINUTES = 30


@dataclass(frozen=True)
class Claim:
    """One reviewer's hold on one output.

    Attributes:
        event_id: The output's event id.
        reviewer: Who claimed it.
        claimed_at: When (UTC).
    """

    event_id: str
    reviewer: str
    claimed_at: datetime

    def expires(self, minutes: float = CLAIM_MINUTES) -> datetime:
        return self.claimed_at + timedelta(minutes=minutes)


def claims_path(root: Path | str) -> Path:
    """``labeled/review_claims.jsonl`` of a store."""
    return StoreLayout(Path(root)).labeled / CLAIMS_FILE


def read_claims(root: Path | str) -> list[Claim]:
    """Every recorded claim; lines that are not claims are passed over (the file is
    rewritten from the valid ones on the next claim)."""
    path = claims_path(root)
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            obj = orjson.loads(line)
            claimed_at = datetime.fromisoformat(str(obj["claimed_at"]))
            out.append(Claim(str(obj["event_id"]), str(obj["reviewer"]), claimed_at))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return out


def active_claims(
    root: Path | str, *, now: datetime | None = None, minutes: float = CLAIM_MINUTES
) -> dict[str, Claim]:
    """The running claim of each claimed output (the latest, if it has not expired)."""
    now = now or datetime.now(UTC)
    latest: dict[str, Claim] = {}
    for claim in read_claims(root):
        known = latest.get(claim.event_id)
        if known is None or claim.claimed_at >= known.claimed_at:
            latest[claim.event_id] = claim
    return {e: c for e, c in latest.items() if c.claimed_at <= now < c.expires(minutes)}


def claim_next(
    root: Path | str,
    items: Sequence[QueueItem],
    *,
    reviewer: str,
    now: datetime | None = None,
    minutes: float = CLAIM_MINUTES,
) -> QueueItem | None:
    """Claim the first of ``items`` nobody else holds, for ``reviewer``.

    Args:
        root: The ``.autoforge`` directory.
        items: Pending queue items, in queue order.
        reviewer: Who claims.
        now: The time of the claim (default: now, UTC).
        minutes: How long claims last.

    Returns:
        The claimed item (the reviewer's own running claim first), or None when every
        item is held by another reviewer.
    """
    with queue_lock(root):
        # The clock is read once the lock is held: read before it, a reviewer who waited
        # for the lock would not see a claim made "after" their moment.
        now = now or datetime.now(UTC)
        active = active_claims(root, now=now, minutes=minutes)
        mine = [i for i in items if (c := active.get(i.event_id)) and c.reviewer == reviewer]
        free = [i for i in items if i.event_id not in active]
        if not (mine or free):
            return None
        chosen = (mine or free)[0]
        active[chosen.event_id] = Claim(chosen.event_id, reviewer, now)
        write_jsonl_atomic(
            claims_path(root),
            [
                {
                    "event_id": c.event_id,
                    "reviewer": c.reviewer,
                    "claimed_at": c.claimed_at.isoformat(),
                }
                for c in sorted(active.values(), key=lambda c: (c.claimed_at, c.event_id))
            ],
        )
    return chosen
