"""Who may call a route: the bearer token, its scope and its project pattern."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from autoforge_learn.server.errors import Forbidden, Unauthorized
from autoforge_learn.server.state import Server
from autoforge_learn.server.tokens import Scope, TokenRecord

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made with `autoforge tokens create --scope read|write`.",
)


def require(scope: Scope) -> Callable[..., TokenRecord]:
    """A dependency that admits a request only with a live token of ``scope``.

    Raises (from the dependency):
        Unauthorized: No ``Authorization: Bearer`` header, or an unknown or revoked token.
        Forbidden: A token of the other scope.
    """

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        server: Server,
    ) -> TokenRecord:
        if credentials is None:
            raise Unauthorized("this route needs an `Authorization: Bearer <token>` header")
        record = server.tokens.verify(credentials.credentials)
        if record is None:
            raise Unauthorized("unknown or revoked token")
        if record.scope != scope:
            raise Forbidden(
                f"{request.method} {request.url.path} needs a {scope} token; "
                f"token {record.id} is a {record.scope} token"
            )
        return record

    dependency.__name__ = f"require_{scope}"
    return dependency


require_read = require(Scope.read)
require_write = require(Scope.write)
#: A route parameter receiving the caller's write token.
WriteToken = Annotated[TokenRecord, Depends(require_write)]


def check_projects(token: TokenRecord, project_ids: Iterable[str]) -> None:
    """Refuse (403, naming them) the projects a token's pattern does not cover."""
    refused = sorted({p for p in project_ids if not token.allows_project(p)})
    if refused:
        shown = ", ".join(refused[:10]) + (" ..." if len(refused) > 10 else "")
        raise Forbidden(
            f"token {token.id} may write only projects matching "
            f"{token.project_pattern!r}, not: {shown}"
        )
