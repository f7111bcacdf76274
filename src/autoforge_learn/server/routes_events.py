"""``POST /v1/events``: a batch of events in our schema, durable when answered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from autoforge_learn.server.auth import WriteToken, check_projects
from autoforge_learn.server.body import decode_content, read_body
from autoforge_learn.server.ingest import IngestResult, ingest_body
from autoforge_learn.server.responses import ERROR_RESPONSES
from autoforge_learn.server.state import Server

router = APIRouter()


class IngestResponse(BaseModel):
    """How many items the batch had, how many were written, how many were there already."""

    received: int
    accepted: int
    duplicates: int


_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Events in the schema of `autoforge schema`: a JSON array, or one "
        "JSON object per line. `Content-Encoding: gzip` is accepted.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/v1/events",
    response_model=IngestResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=_BODY,
    tags=["ingest"],
    summary="Add a batch of events",
)
async def post_events(
    request: Request,
    token: WriteToken,
    server: Server,
) -> IngestResponse:
    """Validate every item (422 names each bad item and field; nothing is written then),
    skip events whose ``event_id`` the store already holds, append the rest and answer
    once they are on disk."""
    body = await read_body(request, server.max_body)
    encoding = request.headers.get("content-encoding")

    def work() -> IngestResult:
        data = decode_content(body, encoding, server.max_body * 4)
        return ingest_body(
            server.writer, data, check_projects=lambda ids: check_projects(token, ids)
        )

    result = await run_in_threadpool(work)
    return IngestResponse(**result.to_dict())
