"""The errors a request can cause, each with its HTTP status.

They are :class:`~autoforge_learn.errors.AutoforgeError` subclasses like every error
meant for a user; the app turns any ``AutoforgeError`` into a JSON response with the
status of :func:`status_of` and ``{"detail": message}`` (plus ``errors`` for a batch).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from autoforge_learn.errors import (
    AutoforgeError,
    EngineError,
    NoDataError,
    NotFoundError,
    UsageError,
)


class RequestError(AutoforgeError):
    """A request the server refuses; ``status`` is its HTTP status code."""

    status = 400


class Unauthorized(RequestError):
    """No bearer token, or one the server does not know (or that was revoked)."""

    status = 401


class Forbidden(RequestError):
    """A known token without the right to do this (scope, or project pattern)."""

    status = 403


class BodyTooLarge(RequestError):
    """The request body (or its decompressed form) is over the server's limit."""

    status = 413


class UnsupportedEncoding(RequestError):
    """A ``Content-Encoding`` (or content type) the route does not read."""

    status = 415


@dataclass(frozen=True)
class ItemError:
    """One problem with one item of a batch: its 0-based index (None: the body as a
    whole), the field and why."""

    index: int | None
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data."""
        return asdict(self)

    def __str__(self) -> str:
        where = "body" if self.index is None else f"item {self.index}"
        return f"{where}: {self.field}: {self.message}"


class InvalidBatch(RequestError):
    """Items of a batch are not valid events; nothing of the batch was written."""

    status = 422

    def __init__(self, errors: list[ItemError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid item(s): {shown}{more}")


def status_of(exc: AutoforgeError) -> int:
    """The HTTP status of an error raised while serving a request."""
    if isinstance(exc, RequestError):
        return exc.status
    if isinstance(exc, NotFoundError | NoDataError):
        return 404
    if isinstance(exc, EngineError):
        return 503
    if isinstance(exc, UsageError):
        return 400
    return 500


def body_of(exc: AutoforgeError) -> dict[str, Any]:
    """The JSON body of an error response."""
    body: dict[str, Any] = {"detail": exc.message}
    if isinstance(exc, InvalidBatch):
        body["errors"] = [e.to_dict() for e in exc.errors]
    return body
