"""Copies of an event id that hold a different event: found as ``validate`` finds them.

The index counts the first copy of each ``event_id`` (by file, then line) and skips the
others. A later copy with the same content is a harmless repeat (a re-sent event); one
with other content is a conflict, which ``validate`` reports on the later line. The index
does not keep every field (the payload texts stay in the raw files), so it cannot tell
the two apart from its rows: for the ids it saw more than once, the raw lines are read
again and compared as :class:`~autoforge_learn.store.reader.RawReader` compares them.
Duplicated ids are rare, so this costs nothing on an ordinary refresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from autoforge_learn.store.jsonl import RawLine


@dataclass(frozen=True)
class Copies:
    """Where an event id appears more than once.

    Attributes:
        event_id: The id.
        files: Every file (relative to ``raw/``) holding a copy, the counted one included.
    """

    event_id: str
    files: tuple[str, ...]


def conflict_message(event_id: str) -> str:
    """The reason given for a later line whose id an earlier, different event holds."""
    return f"event_id: {event_id!r} was already used by a different event"


def conflicting_lines(raw_dir: Path, copies: Iterable[Copies]) -> list[tuple[str, int, str]]:
    """The lines holding a copy of an id that differs from its first copy.

    Files are read in the index's order (by path relative to ``raw/``, which is also
    ``validate``'s month-then-name order), lines in file order.

    Args:
        raw_dir: The ``raw/`` directory.
        copies: The duplicated ids and their files.

    Returns:
        ``(file, line, reason)`` for each conflicting line.
    """
    from autoforge_learn.store.reader import content_digest, parse_raw_line

    wanted: dict[str, set[str]] = {}
    for item in copies:
        for rel in item.files:
            wanted.setdefault(rel, set()).add(item.event_id)
    # the id as a JSON string: a cheap test before a line is parsed
    needles = {i: orjson.dumps(i) for ids in wanted.values() for i in ids}
    first: dict[str, bytes] = {}
    found: list[tuple[str, int, str]] = []
    for rel in sorted(wanted):
        ids = wanted[rel]
        try:
            lines = list(_matching_lines(raw_dir / rel, [needles[i] for i in ids]))
        except OSError:
            continue  # gone or unreadable: the refresh reports the file itself
        for line in lines:
            event = parse_raw_line(line)
            if isinstance(event, list) or event.event_id not in ids:
                continue
            digest = content_digest(event)
            kept = first.setdefault(event.event_id, digest)
            if kept != digest:
                found.append((rel, line.lineno, conflict_message(event.event_id)))
    return found


def _matching_lines(path: Path, needles: list[bytes]) -> Iterator[RawLine]:
    from autoforge_learn.store.jsonl import iter_lines

    for line in iter_lines(path):
        if any(n in line.data for n in needles):
            yield line
