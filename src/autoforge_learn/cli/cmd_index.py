"""``autoforge index``: build or refresh the analytics index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_ANALYSE, err_console, print_record
from autoforge_learn.cli.options import FormatOption, OutputFormat, uses_workspace
from autoforge_learn.words import plural

if TYPE_CHECKING:
    from autoforge_learn.analyze.report import Issue
    from autoforge_learn.workspace import Workspace

StrictOption = typer.Option(
    False, "--strict", help="Fail (exit 1) if any raw line is torn or invalid."
)


def print_issues(issues: list[Issue], *, limit: int = 20) -> None:
    """Print left-out lines as ``file:line: reason`` on stderr."""
    for issue in issues[:limit]:
        err_console.print("[yellow]warning:[/] ", end="", highlight=False)
        err_console.print(str(issue), markup=False, highlight=False, soft_wrap=True)
    if len(issues) > limit:
        err_console.print(
            f"[yellow]warning:[/] ... and {plural(len(issues) - limit, 'more invalid line')}; "
            "see `autoforge index --format json`",
            highlight=False,
        )


@uses_workspace
def index(
    ws: Workspace,
    strict: bool = StrictOption,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and read all."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Build or refresh the analytics index from the raw JSONL (reads only what changed).

    Invalid or torn lines are reported as file:line: reason and left out.

    Example:  autoforge index --engine postgresql://localhost/autoforge --strict
    """
    report = ws.refresh(rebuild=rebuild)
    if fmt != OutputFormat.table:
        print_record(report.as_dict(), fmt=fmt, message="")
    else:
        print_issues(report.issues)
        typer.echo(
            f"{report.engine}: {report.events} events from {report.files} files "
            f"(+{report.events_added} added, {report.duplicates} duplicates skipped, "
            f"{report.files_read} read, {report.files_reloaded} reloaded, "
            f"{report.files_removed} removed, {report.bytes_read} bytes) in {report.seconds}s; "
            f"{plural(len(report.issues), 'invalid line')}"
        )
    if strict and report.issues:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("index", rich_help_panel=PANEL_ANALYSE)(index)
