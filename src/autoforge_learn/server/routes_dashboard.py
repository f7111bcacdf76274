"""The dashboard at ``/``: its page and assets (public: they hold no data; plotly.js
comes from the installed ``plotly`` package, so the page works offline) and the report
set, read-only (a read token, like every data route)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from autoforge_learn.errors import NotFoundError
from autoforge_learn.server.auth import require_read
from autoforge_learn.server.responses import READ_RESPONSES, json_response
from autoforge_learn.server.state import Server

STATIC = Path(__file__).with_name("static")

#: What the page may load and run: only the server's own files (the token lives in the
#: tab's sessionStorage; no inline script, no other origin). plotly sets inline styles.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def plotly_js() -> Path:
    """``plotly.min.js`` as the installed ``plotly`` package ships it."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


#: The assets the page loads, by the name it asks for.
ASSETS = {
    "app.js": (lambda: STATIC / "app.js", "text/javascript; charset=utf-8"),
    "app.css": (lambda: STATIC / "app.css", "text/css; charset=utf-8"),
    "plotly.min.js": (plotly_js, "text/javascript; charset=utf-8"),
}

#: The paths served without a token (they hold no data from the store).
PUBLIC_PATHS = frozenset({"/", "/assets/{name}"})

public = APIRouter(include_in_schema=False)
reports = APIRouter(dependencies=[Depends(require_read)], tags=["read"],
                    responses=READ_RESPONSES)


@public.get("/")
def page() -> FileResponse:
    """The dashboard's page (it asks for a read token, then fetches the data routes)."""
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers=_HEADERS)


@public.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    """The page's script, its style sheet and plotly.js."""
    if name not in ASSETS:
        raise NotFoundError(f"no asset {name!r}")
    where, media = ASSETS[name]
    return FileResponse(where(), media_type=media, headers=_HEADERS)


@reports.get("/v1/reports", summary="The report set (autoforge train's files)")
def get_reports(server: Server) -> Response:
    """The files of ``<store>/ai/training_data/reports/``, newest first: ``path``,
    ``bytes``, ``modified`` and ``type``."""
    from autoforge_learn.server.dashboard import list_reports

    return json_response(list_reports(server.workspace.layout.reports))


@reports.get(
    "/v1/reports/{path:path}",
    summary="One file of the report set, read-only",
    responses={200: {"description": "The file, with its media type",
                     "content": {"text/html": {}, "text/markdown": {}, "image/png": {}}}},
)
def get_report(
    server: Server,
    path: Annotated[str, PathParam(description="A path listed by /v1/reports")],
) -> FileResponse:
    """A file of the report set (404 for anything outside it)."""
    from autoforge_learn.server.dashboard import media_type, report_file

    target = report_file(server.workspace.layout.reports, path)
    return FileResponse(target, media_type=media_type(target),
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "sandbox allow-scripts"})
