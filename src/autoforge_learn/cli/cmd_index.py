"""``autoforge index``: build or refresh the analytics index."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.common import (
    PANEL_ANALYSE,
    OutputFormat,
    RootOption,
    err_console,
    fail,
    index_progress,
    print_json,
)

EngineOption = typer.Option(
    None,
    "--engine",
    help="duckdb (default: <root>/index.duckdb), duckdb:PATH or postgresql://... "
    "(append ?schema=NAME for a schema); default $AUTOFORGE_ENGINE.",
    show_default=False,
)
StrictOption = typer.Option(
    False, "--strict", help="Fail (exit 1) if any raw line is torn or invalid."
)


def print_issues(issues: list, *, limit: int = 20) -> None:
    """Print left-out lines as ``file:line: reason`` on stderr."""
    for issue in issues[:limit]:
        err_console.print(f"[yellow]warning:[/] {issue}", highlight=False, soft_wrap=True)
    if len(issues) > limit:
        err_console.print(
            f"[yellow]warning:[/] ... and {len(issues) - limit} more invalid line(s); "
            "see `autoforge index --format json`",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    @app.command("index", rich_help_panel=PANEL_ANALYSE)
    def index(
        root: Path | None = RootOption,
        engine: str | None = EngineOption,
        strict: bool = StrictOption,
        rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and read all."),
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    ) -> None:
        """Build or refresh the analytics index from the raw JSONL (reads only what changed).

        Invalid or torn lines are reported as file:line: reason and left out.

        Example:  autoforge index --engine postgresql://localhost/autoforge --strict
        """
        from autoforge_learn.analyze.ingest import InvalidLinesError, build_index
        from autoforge_learn.store.layout import find_root

        try:
            with index_progress() as progress:
                report = build_index(
                    find_root(root),
                    engine=engine,
                    strict=strict,
                    rebuild=rebuild,
                    progress=progress,
                )
        except InvalidLinesError as exc:
            print_issues(exc.report.issues, limit=50)
            fail(f"{len(exc.report.issues)} invalid line(s) (--strict)")
        except ValueError as exc:
            fail(str(exc))
        if fmt == OutputFormat.json:
            print_json(report.as_dict())
            return
        print_issues(report.issues)
        typer.echo(
            f"{report.engine}: {report.events} events from {report.files} files "
            f"(+{report.events_added} added, {report.duplicates} duplicates skipped, "
            f"{report.files_read} read, {report.files_reloaded} reloaded, "
            f"{report.files_removed} removed, {report.bytes_read} bytes) in {report.seconds}s; "
            f"{len(report.issues)} invalid line(s)"
        )
