"""Batches of events into the store: decode, validate, drop what is already there,
append, and make durable before answering.

The validation is the SDK's reader's (:func:`autoforge_learn.schema.parse.parse_event`:
the canonical form and the spec's flat gate form) and the writing is the SDK's
(:meth:`Collector.record_many`: whole lines under a per-file lock and ``flock``, so the
server, local SDK processes and other writers never interleave). After the append each
file written is ``fdatasync``'d (and, for a new file, its directories), and only then
are the batch's ids marked seen and the request answered.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.collect.collector import Collector
from autoforge_learn.collect.redact import REDACTED_FIELDS, Redactor, redact_secrets
from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.parse import EventError, parse_event
from autoforge_learn.server.errors import InvalidBatch, ItemError
from autoforge_learn.server.seen import SeenIds

#: One decoded item of a batch and, for a JSONL body, the line it came from.
Item = tuple[Any, bytes | None]


@dataclass(frozen=True)
class IngestResult:
    """What a batch did: items received, events written, events already in the store."""

    received: int
    accepted: int
    duplicates: int

    def to_dict(self) -> dict[str, int]:
        """The result as JSON-ready data (the body of a 200 response)."""
        return asdict(self)


def decode_batch(body: bytes) -> list[Item]:
    """The items of a body holding a JSON array, or JSON lines (blank lines skipped).

    Raises:
        InvalidBatch: If the array is not JSON (index None), or naming each line that
            is not.
    """
    text = body.lstrip()
    if not text:
        return []
    if text[:1] == b"[":
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidBatch([ItemError(None, "(body)", f"not a JSON array: {exc}")]) from None
        if not isinstance(items, list):  # pragma: no cover - starts with "["
            raise InvalidBatch([ItemError(None, "(body)", "not a JSON array")])
        return [(item, None) for item in items]
    out: list[Item] = []
    errors: list[ItemError] = []
    for line in text.split(b"\n"):
        if not line.strip():
            continue
        try:
            out.append((orjson.loads(line), line.rstrip(b"\r")))
        except orjson.JSONDecodeError as exc:
            errors.append(ItemError(len(out) + len(errors), "(line)", f"not valid JSON: {exc}"))
    if errors:
        raise InvalidBatch(errors)
    return out


def validate_items(items: Sequence[Item], *, redact: Redactor | None = None) -> list[EventBase]:
    """Each item as an event (see :func:`parse_event`), the configured redaction applied.

    Raises:
        InvalidBatch: Naming every bad item by index and field; nothing is returned.
    """
    events: list[EventBase] = []
    errors: list[ItemError] = []
    for index, (obj, text) in enumerate(items):
        if redact is not None and isinstance(obj, dict):
            obj = {
                k: redact(v) if k in REDACTED_FIELDS and isinstance(v, str) else v
                for k, v in obj.items()
            }
        try:
            events.append(parse_event(obj, text=text))
        except EventError as exc:
            errors.extend(ItemError(index, e.field, e.message) for e in exc.errors)
    if errors:
        raise InvalidBatch(errors)
    return events


def _sync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EventWriter:
    """Writes batches of validated events to one store, each event once.

    Args:
        root: The ``.autoforge`` directory.
        redact: Strip secrets from the payload texts of incoming events (the store's
            ``collect.redact_secrets``).

    The ids already in the store are read once, here; one writer per store (one
    server process) keeps that record exact.
    """

    def __init__(self, root: Path | str, *, redact: bool = False) -> None:
        self.collector = Collector(root, redact=False)
        self.layout = self.collector.layout
        self.seen = SeenIds.from_store(self.layout)
        #: Applied to the payload texts of incoming items (``collect.redact_secrets``).
        self.redact: Redactor | None = redact_secrets if redact else None
        self._lock = threading.Lock()
        self._existing: set[str] = set()

    def write(self, events: Iterable[EventBase]) -> IngestResult:
        """Append the events not yet in the store, durably; a re-sent event (same
        ``event_id``) is counted as a duplicate and not written again."""
        events = list(events)
        with self._lock:
            fresh: list[EventBase] = []
            ids: set[str] = set()
            for event in events:
                if event.event_id in ids or event.event_id in self.seen:
                    continue
                ids.add(event.event_id)
                fresh.append(event)
            if fresh:
                created = self._new_files(fresh)
                for path in self.collector.record_many(fresh):
                    _sync_file(path)
                self._sync_dirs(created)
                self.seen.update(ids)
        return IngestResult(len(events), len(fresh), len(events) - len(fresh))

    def _new_files(self, events: list[EventBase]) -> list[Path]:
        """The files the events go to that do not exist yet (their directory entries
        must reach the disk too)."""
        created = []
        for path in {self.collector.path_for(e) for e in events}:
            if path in self._existing:
                continue
            if not os.path.exists(path):
                created.append(Path(path))
            self._existing.add(path)
        return created

    def _sync_dirs(self, created: list[Path]) -> None:
        dirs: set[Path] = set()
        for path in created:
            parent = path.parent
            while parent != self.layout.root.parent and parent not in dirs:
                dirs.add(parent)
                parent = parent.parent
        for directory in dirs:
            _sync_dir(directory)

    def close(self) -> None:
        """Release the open files."""
        self.collector.close()


def ingest_body(
    writer: EventWriter,
    body: bytes,
    *,
    check_projects: Callable[[set[str]], None] | None = None,
) -> IngestResult:
    """A request body (JSON array or JSON lines, already decompressed) into the store.

    Args:
        writer: The store's writer.
        body: The body.
        check_projects: Called with the batch's project ids before anything is
            written; raises to refuse the batch.

    Raises:
        InvalidBatch: If any item is not a valid event (nothing is written).
    """
    events = validate_items(decode_batch(body), redact=writer.redact)
    if check_projects is not None:
        check_projects({e.project_id for e in events})
    return writer.write(events)
