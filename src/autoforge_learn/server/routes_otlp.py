"""``POST /v1/traces``: OpenTelemetry traces (OTLP/HTTP, protobuf or JSON) as events.

Spans are mapped by :mod:`autoforge_learn.server.otlp_map`, validated one by one like
posted events and written by the same writer (idempotent, durable when answered). A
span whose event is invalid is rejected alone and counted in the answer's
``partial_success``, as OTLP asks; spans of no mapped kind are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.parse import EventError, parse_event
from autoforge_learn.server.auth import WriteToken, check_projects
from autoforge_learn.server.body import decode_content, read_body
from autoforge_learn.server.errors import UnsupportedEncoding
from autoforge_learn.server.responses import ERROR_RESPONSES
from autoforge_learn.server.state import Server, ServerState
from autoforge_learn.server.tokens import TokenRecord

router = APIRouter()

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An OTLP ExportTraceServiceRequest (OTLP/HTTP), protobuf or JSON; "
        "`Content-Encoding: gzip` is accepted.",
        "content": {
            PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            JSON: {"schema": {"type": "object"}},
        },
    }
}


def ingest_traces(
    server: ServerState, body: bytes, content_type: str, token: TokenRecord
) -> tuple[int, str]:
    """Map, validate and write a request's spans; returns (rejected spans, message)."""
    from autoforge_learn.server.otlp_decode import decode_json, decode_protobuf
    from autoforge_learn.server.otlp_map import spans_to_events

    spans = decode_protobuf(body) if content_type == PROTOBUF else decode_json(body)
    events: list[EventBase] = []
    rejected: set[str] = set()
    problems: list[str] = []
    for span, obj in spans_to_events(spans):
        try:
            events.append(parse_event(obj))
        except EventError as exc:
            rejected.add(span.span_id)
            problems.append(f"span {span.span_id}: {exc}")
    check_projects(token, {e.project_id for e in events})
    server.writer.write(events)
    return len(rejected), "; ".join(problems[:5])


def _answer(content_type: str, rejected: int, message: str) -> Response:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    answer = ExportTraceServiceResponse()
    if rejected:
        answer.partial_success.rejected_spans = rejected
        answer.partial_success.error_message = message
    if content_type == PROTOBUF:
        return Response(answer.SerializeToString(), media_type=PROTOBUF)
    body: dict[str, Any] = {}
    if rejected:
        body["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message}
    return Response(orjson.dumps(body), media_type=JSON)


@router.post(
    "/v1/traces",
    responses={**ERROR_RESPONSES, 200: {"description": "An ExportTraceServiceResponse"}},
    openapi_extra=_BODY,
    tags=["ingest"],
    summary="Add OpenTelemetry traces (OTLP/HTTP)",
)
async def post_traces(request: Request, token: WriteToken, server: Server) -> Response:
    """Map GenAI and OpenInference spans to stage executions, gate checks and feedback
    (see docs/server.md for the table), keeping their trace and span ids."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (PROTOBUF, JSON):
        raise UnsupportedEncoding(
            f"Content-Type {content_type or '(none)'!r}: send {PROTOBUF} or {JSON}"
        )
    body = await read_body(request, server.max_body)
    encoding = request.headers.get("content-encoding")

    def work() -> tuple[int, str]:
        data = decode_content(body, encoding, server.max_body * 4)
        return ingest_traces(server, data, content_type, token)

    rejected, message = await run_in_threadpool(work)
    return _answer(content_type, rejected, message)
