"""The FastAPI application of ``autoforge serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from autoforge_learn import __version__
from autoforge_learn.errors import AutoforgeError
from autoforge_learn.server.auth import require_read
from autoforge_learn.server.body import DEFAULT_MAX_BODY
from autoforge_learn.server.errors import Unauthorized, body_of, status_of
from autoforge_learn.server.ingest import EventWriter
from autoforge_learn.server.state import ServerState
from autoforge_learn.server.tokens import TokenStore
from autoforge_learn.workspace import Workspace

DESCRIPTION = """\
Collects events from many machines into one AutoForge Learn store and serves what the
CLI computes from it. Every route needs `Authorization: Bearer <token>`: a `write` token
(`autoforge tokens create --scope write`) to post events or traces, a `read` token to
read. The dashboard's page and assets (`/`, `/assets/...`) are public: they hold no
data, and the page asks for a read token before it fetches any.
"""


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AutoforgeError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(body_of(exc), status_code=status_of(exc), headers=headers)


def create_app(workspace: Workspace, *, max_body_bytes: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The server's app over one workspace, built once and handed to every route.

    Args:
        workspace: The store (its raw files receive the events) and its engine (the
            index the read routes query; refreshed before each read).
        max_body_bytes: The largest request body accepted (413 beyond); a gzip body
            may expand to four times this.

    The ids of the events already in the store are read here, once.
    """
    from autoforge_learn.server import (
        routes_dashboard,
        routes_events,
        routes_otlp,
        routes_read,
    )

    writer = EventWriter(workspace.root, redact=workspace.settings.collect.redact_secrets)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        writer.close()

    app = FastAPI(
        title="AutoForge Learn",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.server = ServerState(
        workspace=workspace,
        tokens=TokenStore(workspace.root),
        writer=writer,
        max_body=max_body_bytes,
    )
    app.add_exception_handler(AutoforgeError, _on_error)
    app.include_router(routes_events.router)
    app.include_router(routes_otlp.router)
    app.include_router(routes_read.router)
    app.include_router(routes_dashboard.reports)
    app.include_router(routes_dashboard.public)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_read)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    return app
