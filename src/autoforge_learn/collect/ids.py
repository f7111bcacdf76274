"""Event ids, the clock and the survey sample of the collector."""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class _EventIds:
    """Unique, roughly time-ordered ids: milliseconds, a per-process random part, a counter.

    Cheaper than a UUID per event; the random part is drawn again after a fork so that
    parent and child never share it.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._prefix = os.urandom(7).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        if os.getpid() != self._pid:
            self._reset()
        return (
            f"{time.time_ns() // 1_000_000:012x}{self._prefix}{next(self._counter) & 0xFFFFFF:06x}"
        )


#: Returns a new event id: 32 hex digits, unique across threads and processes.
new_event_id = _EventIds()


def survey_sampled(project_id: str, rate: float) -> bool:
    """Whether a project is in the survey sample: a stable draw from its id."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"survey:{project_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate
