"""Response helpers shared by the routes: JSON as the CLI prints it, error shapes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel


class ItemErrorBody(BaseModel):
    """One bad item of a batch (index None: the body as a whole)."""

    index: int | None
    field: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str
    errors: list[ItemErrorBody] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or an unknown or revoked one"},
    403: {"model": ErrorBody, "description": "The token's scope or project pattern refuses it"},
    413: {"model": ErrorBody, "description": "The body is over the server's limit"},
    415: {"model": ErrorBody, "description": "An encoding or content type not read"},
    422: {"model": ErrorBody, "description": "Invalid items, each named by index and field"},
}

READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "What the CLI prints with `--format json`",
        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
    },
    400: {"model": ErrorBody, "description": "A bad option value"},
    401: ERROR_RESPONSES[401],
    403: ERROR_RESPONSES[403],
    404: {"model": ErrorBody, "description": "No data, or an unknown name"},
}


def json_response(data: Any) -> Response:
    """``data`` serialised as the CLI's ``--format json`` serialises it."""
    return Response(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), media_type="application/json"
    )
