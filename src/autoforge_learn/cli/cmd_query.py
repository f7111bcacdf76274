"""``autoforge query``: read-only SQL over the index's events table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_ANALYSE, err_console, print_rows
from autoforge_learn.cli.options import FormatOption, OutputFormat, uses_workspace

if TYPE_CHECKING:
    from autoforge_learn.workspace import Workspace


@uses_workspace
def query_command(
    ws: Workspace,
    sql: str = typer.Argument(..., metavar="SQL", help="One SELECT over the events table."),
    limit: int = typer.Option(10_000, "--limit", min=1, help="Print at most this many rows."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Run read-only SQL over the index's events table (refreshed first).

    One row per valid event; `autoforge query "DESCRIBE events"` (DuckDB) lists the
    columns. Nothing a query does can change the index.

    Example:  autoforge query "SELECT agent_role, count(*) FROM events GROUP BY 1" --format csv
    """
    from autoforge_learn.dataset.sql import run_query

    result = run_query(ws, sql, limit=limit)
    print_rows(result.records(), fmt=fmt, columns=result.columns)
    for note in result.notes:
        err_console.print(note, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("query", rich_help_panel=PANEL_ANALYSE)(query_command)
