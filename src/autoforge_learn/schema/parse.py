"""Turn a JSON object into a validated event, with errors that name the field.

Accepts the canonical form (``kind``, ``event_id`` and ``schema_version`` present) and
the flat gate form: a gate check written as ``gate_result`` /
``gate_result_reason`` with no ``event_id``, ``kind`` or ``schema_version``. A missing
``event_id`` is derived from the line's text (:func:`derive_event_id`), so the same line
read twice, from any file, by any command or by the index's SQL, is the same event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.schema.events import EVENT_MODELS, SCHEMA_VERSION, EventBase, EventKind

#: Spellings of the flat gate form mapped to the schema's field names.
GATE_FIELD_ALIASES = {
    "gate_result": "validation_result",
    "gate_result_reason": "validation_reason",
}


#: Fields :func:`normalize` fills when a line lacks them: never missing from an event.
FILLED_BY_NORMALIZE = ("event_id", "kind", "schema_version")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of an event."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class EventError(AutoforgeError, ValueError):
    """An object is not a valid event; ``errors`` says which fields are wrong and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def derive_event_id(source: bytes | str | dict[str, Any]) -> str:
    """The id of an event written without one: ``d-`` + the MD5 of its line.

    The line is its UTF-8 bytes with the newline that ends it (a carriage return before
    the newline is not part of it): the id of the first line of a file is what
    ``head -1 FILE | md5sum`` prints. An object given without its line stands for its
    compact JSON (as ``orjson`` writes it). The index computes the same in SQL, so every
    reader agrees; two lines that differ in any byte are two events.
    """
    if isinstance(source, dict):
        data = orjson.dumps(source)
    elif isinstance(source, str):
        data = source.encode()
    else:
        data = bytes(source)
    line = data.rstrip(b"\r\n") + b"\n"
    return "d-" + hashlib.md5(line, usedforsecurity=False).hexdigest()


def infer_kind(obj: dict[str, Any]) -> str | None:
    """The kind of an object that does not say it, or None when it cannot be told."""
    if "gate_id" in obj and any(
        k in obj for k in ("gate_result", "validation_result", "gate_result_reason")
    ):
        return EventKind.GATE_EVALUATION.value
    return None


def normalize(obj: dict[str, Any], *, text: bytes | str | None = None) -> dict[str, Any]:
    """Fill the envelope of an object in any accepted form; the input is not modified.

    ``text`` is the line the object was read from: a missing ``event_id`` is derived
    from it (see :func:`derive_event_id`).

    Raises:
        EventError: If the object's kind is missing and cannot be inferred, or if it
            spells one field two ways with different values.
    """
    out = dict(obj)
    kind = out.get("kind")
    if kind is None:
        kind = infer_kind(out)
        if kind is None:
            raise EventError([FieldError("kind", "missing, and the event's fields do not say it")])
    if kind == EventKind.GATE_EVALUATION:
        for alias, name in GATE_FIELD_ALIASES.items():
            if alias in out:
                value = out.pop(alias)
                if name in out and out[name] != value:
                    raise EventError(
                        [FieldError(alias, f"disagrees with {name} ({value!r} != {out[name]!r})")]
                    )
                out.setdefault(name, value)
    if "event_id" not in out:
        out["event_id"] = derive_event_id(obj if text is None else text)
    out["kind"] = kind
    out.setdefault("schema_version", SCHEMA_VERSION)
    return out


def identity_fields(obj: dict[str, Any], *, text: bytes | str | None = None) -> dict[str, Any]:
    """The envelope fields an object lacks, to add to it without changing the rest.

    Used where a user's line is filed as it is: it keeps every field spelled as the user
    spelled it and gains only ``event_id``, ``kind`` and ``schema_version``. ``text`` is
    the line the object was read from (see :func:`derive_event_id`).
    """
    added: dict[str, Any] = {}
    if "event_id" not in obj:
        added["event_id"] = derive_event_id(obj if text is None else text)
    if "kind" not in obj:
        kind = infer_kind(obj)
        if kind is not None:
            added["kind"] = kind
    if "schema_version" not in obj:
        added["schema_version"] = SCHEMA_VERSION
    return added


def _field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "(event)"
        message = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(field, message))
    return errors


def parse_event(obj: Any, *, text: bytes | str | None = None) -> EventBase:
    """Validate one JSON object as an event.

    Args:
        obj: A decoded JSON value, in the canonical or the flat gate form.
        text: The line ``obj`` was decoded from, if any: a missing ``event_id`` is
            derived from it (see :func:`derive_event_id`).

    Returns:
        The event, as the model of its kind.

    Raises:
        EventError: If the object is not a valid event; the message names each field.
    """
    if not isinstance(obj, dict):
        raise EventError(
            [FieldError("(event)", f"expected a JSON object, got {type(obj).__name__}")]
        )
    data = normalize(obj, text=text)
    kind = data["kind"]
    model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None  # [] is unhashable
    if model is None:
        kinds = ", ".join(sorted(EVENT_MODELS))
        raise EventError(
            [FieldError("kind", f"unknown kind {data['kind']!r}; expected one of {kinds}")]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = _field_errors(exc)
        # Name fields as the user spelled them (gate_result, not validation_result).
        spelled = {name: alias for alias, name in GATE_FIELD_ALIASES.items() if alias in obj}
        if spelled:
            errors = [FieldError(spelled.get(e.field, e.field), e.message) for e in errors]
        raise EventError(errors) from None


def parse_line(line: bytes | str) -> EventBase:
    """Decode and validate one JSONL line.

    Raises:
        EventError: If the line is not JSON or not a valid event.
    """
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EventError([FieldError("(line)", f"not valid JSON: {exc}")]) from None
    return parse_event(obj, text=line)
