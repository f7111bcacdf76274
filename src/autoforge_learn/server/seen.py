"""The event ids a store already holds, so that a re-sent event adds nothing.

The raw files are the persistent record: when the server starts it reads the id of
every complete line (the ``event_id`` written, or the id derived from the line as every
reader derives it); afterwards it adds the ids of each batch it has made durable. A
server restarted after a crash thus knows every event that reached the disk, whether
or not its client heard back.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from autoforge_learn.schema.parse import derive_event_id
from autoforge_learn.store.jsonl import iter_lines
from autoforge_learn.store.layout import StoreLayout


def line_event_id(data: bytes) -> str | None:
    """The id of the event on one raw line, None when the line is not a JSON object."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    event_id = obj.get("event_id")
    return str(event_id) if event_id is not None else derive_event_id(data)


class SeenIds:
    """A set of event ids, filled from a store's raw files."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids: set[str] = set(ids)

    @classmethod
    def from_store(cls, layout: StoreLayout) -> SeenIds:
        """The ids of every complete line of the store's raw files."""
        seen = cls()
        for path in layout.raw_files():
            for line in iter_lines(path):
                if line.complete:
                    event_id = line_event_id(line.data)
                    if event_id is not None:
                        seen._ids.add(event_id)
        return seen

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def update(self, ids: Iterable[str]) -> None:
        """Add ids (of events now durable in the store)."""
        self._ids.update(ids)
