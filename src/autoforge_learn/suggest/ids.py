"""Suggestion ids: ``SUG-<year>-<month>-NNN``, numbered on within a month."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

ID_RE = re.compile(r"^SUG-(?P<year>\d{4})-(?P<month>\d{2})-(?P<number>\d{3,})$")


def parse_id(suggestion_id: str) -> tuple[int, int, int] | None:
    """``(2025, 10, 1)`` for ``SUG-2025-10-001``; None if it is not a suggestion id."""
    match = ID_RE.match(suggestion_id)
    if match is None:
        return None
    return int(match["year"]), int(match["month"]), int(match["number"])


def next_ids(now: datetime, count: int, existing: Iterable[str] = ()) -> list[str]:
    """``count`` new ids for the month of ``now``, after the highest one already used.

    Args:
        now: The moment of the run; its year and month go into the ids.
        count: How many ids.
        existing: Ids already handed out (any month); only the same month's count.
    """
    used = 0
    for suggestion_id in existing:
        parsed = parse_id(str(suggestion_id))
        if parsed and parsed[:2] == (now.year, now.month):
            used = max(used, parsed[2])
    return [f"SUG-{now.year:04d}-{now.month:02d}-{used + i:03d}" for i in range(1, count + 1)]
