"""``autoforge serve``: the team server (events and traces in over HTTP, analyses out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_STORE, err_console
from autoforge_learn.cli.options import uses_workspace

if TYPE_CHECKING:
    from autoforge_learn.workspace import Workspace


@uses_workspace
def serve_cmd(
    ws: Workspace,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8700, "--port", min=0, max=65535, help="Port to listen on."),
    max_body_mb: float = typer.Option(
        16, "--max-body-mb", min=0.001, help="Largest request body accepted, in MiB (413)."
    ),
) -> None:
    """Run the collector server: POST /v1/events and /v1/traces (OTLP) write to this
    store; GET /v1/metrics, /v1/findings, /v1/suggestions, /v1/experiments read it.

    Every request needs a bearer token (see `autoforge tokens create`). See docs/server.md.

    Example:  autoforge serve --root .autoforge --port 8700
    Example:  autoforge serve --engine postgresql://postgres@db/team --host 0.0.0.0
    """
    import uvicorn

    from autoforge_learn.server import TokenStore, create_app

    app = create_app(ws, max_body_bytes=int(max_body_mb * (1 << 20)))
    if not TokenStore(ws.root).records():
        err_console.print(
            "no tokens yet: every request will be refused; create one with "
            "`autoforge tokens create --scope write`",
            highlight=False,
        )
    err_console.print(f"serving {ws.root} ({ws.engine.label}) on http://{host}:{port}",
                      highlight=False, markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve", rich_help_panel=PANEL_STORE)(serve_cmd)
