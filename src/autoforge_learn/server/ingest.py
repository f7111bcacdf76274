"""Batches of events into the store: decode, validate, drop what is already there,
append, and make durable before answering.

The validation is the SDK's reader's (:func:`autoforge_learn.schema.parse.parse_event`:
the canonical form and the flat gate form); the writing is
:class:`~autoforge_learn.server.writer.EventWriter`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from autoforge_learn.collect.redact import Redactor, redact_fields
from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.parse import EventError, parse_event
from autoforge_learn.server.errors import InvalidBatch, ItemError
from autoforge_learn.server.writer import EventWriter, IngestResult

#: One decoded item of a batch and, for a JSONL body, the line it came from.
Item = tuple[Any, bytes | None]


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
            obj = redact_fields(obj, redact)
        try:
            events.append(parse_event(obj, text=text))
        except EventError as exc:
            errors.extend(ItemError(index, e.field, e.message) for e in exc.errors)
    if errors:
        raise InvalidBatch(errors)
    return events


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
