"""OTLP/HTTP trace requests, protobuf or JSON, as plain :class:`Span` values.

Protobuf bodies are read with ``opentelemetry-proto``'s ``ExportTraceServiceRequest``.
JSON bodies follow OTLP/JSON (field names in lowerCamelCase, the protobuf names accepted
too; trace and span ids as hex; 64-bit integers as strings or numbers) and are walked
directly, as the protobuf JSON mapping would read the ids as base64.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson

from autoforge_learn.server.errors import RequestError

#: OTLP's status code of a failed span.
STATUS_ERROR = 2


@dataclass(frozen=True)
class SpanEvent:
    """An event recorded on a span (``gen_ai.evaluation.result``, an annotation...)."""

    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass
class Span:
    """One span, ids as lowercase hex, attributes as Python values."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    resource: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    status_code: int = 0
    status_message: str = ""

    def attr(self, *names: str) -> Any:
        """The first of ``names`` set on the span, else on its resource, else None."""
        for source in (self.attributes, self.resource):
            for name in names:
                value = source.get(name)
                if value is not None and value != "":
                    return value
        return None


class BadTraces(RequestError):
    """A body that is not an OTLP trace request."""


# -- protobuf ---------------------------------------------------------------------------


def _pb_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _pb_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def _pb_attrs(attributes: Any) -> dict[str, Any]:
    return {kv.key: _pb_value(kv.value) for kv in attributes}


def decode_protobuf(body: bytes) -> list[Span]:
    """The spans of a protobuf ``ExportTraceServiceRequest``."""
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadTraces(f"not an OTLP protobuf trace request: {exc}") from None
    spans = []
    for resource_spans in request.resource_spans:
        resource = _pb_attrs(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append(Span(
                    trace_id=s.trace_id.hex(),
                    span_id=s.span_id.hex(),
                    parent_span_id=s.parent_span_id.hex() or None,
                    name=s.name,
                    start_ns=s.start_time_unix_nano,
                    end_ns=s.end_time_unix_nano,
                    attributes=_pb_attrs(s.attributes),
                    resource=resource,
                    events=[SpanEvent(e.name, e.time_unix_nano, _pb_attrs(e.attributes))
                            for e in s.events],
                    status_code=int(s.status.code),
                    status_message=s.status.message,
                ))
    return spans


# -- JSON -------------------------------------------------------------------------------


def _get(obj: dict[str, Any], camel: str, snake: str, default: Any = None) -> Any:
    value = obj.get(camel)
    return obj.get(snake, default) if value is None else value


def _json_value(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    for key, convert in (
        ("stringValue", str), ("string_value", str), ("boolValue", bool),
        ("bool_value", bool), ("intValue", int), ("int_value", int),
        ("doubleValue", float), ("double_value", float),
    ):
        if key in value:
            return convert(value[key])
    array = _get(value, "arrayValue", "array_value")
    if array is not None:
        return [_json_value(v) for v in array.get("values", [])]
    kvlist = _get(value, "kvlistValue", "kvlist_value")
    if kvlist is not None:
        return _json_attrs(kvlist.get("values", []))
    raw = _get(value, "bytesValue", "bytes_value")
    return base64.b64decode(raw) if raw is not None else None


def _json_attrs(attributes: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {kv["key"]: _json_value(kv.get("value")) for kv in attributes or [] if "key" in kv}


def _hex_id(value: Any) -> str:
    text = str(value or "").lower()
    if text and any(c not in "0123456789abcdef" for c in text):
        raise BadTraces(f"trace and span ids must be hex in OTLP/JSON, not {value!r}")
    return text


def decode_json(body: bytes) -> list[Span]:
    """The spans of an OTLP/JSON ``ExportTraceServiceRequest``."""
    try:
        request = orjson.loads(body)
        spans = []
        for resource_spans in _get(request, "resourceSpans", "resource_spans", []):
            resource = _json_attrs((resource_spans.get("resource") or {}).get("attributes"))
            for scope_spans in _get(resource_spans, "scopeSpans", "scope_spans", []):
                for s in scope_spans.get("spans", []):
                    spans.append(_json_span(s, resource))
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError, KeyError) as exc:
        raise BadTraces(f"not an OTLP/JSON trace request: {exc}") from None
    return spans


def _json_span(s: dict[str, Any], resource: dict[str, Any]) -> Span:
    status = s.get("status") or {}
    code = status.get("code", 0)
    return Span(
        trace_id=_hex_id(_get(s, "traceId", "trace_id")),
        span_id=_hex_id(_get(s, "spanId", "span_id")),
        parent_span_id=_hex_id(_get(s, "parentSpanId", "parent_span_id")) or None,
        name=str(s.get("name", "")),
        start_ns=int(_get(s, "startTimeUnixNano", "start_time_unix_nano", 0)),
        end_ns=int(_get(s, "endTimeUnixNano", "end_time_unix_nano", 0)),
        attributes=_json_attrs(s.get("attributes")),
        resource=resource,
        events=[
            SpanEvent(str(e.get("name", "")), int(_get(e, "timeUnixNano", "time_unix_nano", 0)),
                      _json_attrs(e.get("attributes")))
            for e in s.get("events") or []
        ],
        status_code=STATUS_ERROR if code in (2, "STATUS_CODE_ERROR") else int(code == 1),
        status_message=str(status.get("message", "")),
    )
