"""``autoforge import``: read other multi-agent systems' run logs into the store."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.common import (
    PANEL_STORE,
    console,
    err_console,
    print_json,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption
from autoforge_learn.words import plural

import_app = typer.Typer(
    help="Import run logs of other multi-agent systems as training events.\n\n"
    "Example:  autoforge import chatdev ChatDev/WareHouse/",
    no_args_is_help=True,
)


_COLUMNS = ["project_id", "status", "events", "tokens", "cost", "estimated", "problems"]


@import_app.command("chatdev")
def chatdev(
    paths: list[Path] = typer.Argument(
        ..., help="ChatDev .log files, run folders, or folders of run folders (WareHouse/)."
    ),
    root: RootOption = None,
    prices: list[Path] = typer.Option(
        [],
        "--prices",
        help="YAML price file (USD per 1K tokens: MODEL: {prompt: X, completion: Y}); "
        "overrides the defaults and .autoforge/prices.yaml. Repeatable.",
        exists=True,
        dir_okay=False,
    ),
    fmt: FormatOption = OutputFormat.table,
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Import ChatDev run logs: one project per run, with stages, gates, tokens and cost.

    Each chat becomes a stage (phase, both roles, model, tokens, duration, prompt
    version hashed from the run's config files); code reviews, test reports and human
    comments become gates and feedback; [Post Info] becomes the outcome. Unknown
    values (-1) stay unknown; a cost the log lacks is estimated from a price table and
    marked cost_estimated. Importing again adds nothing. A log that cannot be parsed is
    reported by name, the others are imported, and the exit code is 1.

    Example:  autoforge import chatdev ../ChatDev/WareHouse --format json
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from autoforge_learn.importers.chatdev import find_logs, import_chatdev

    total = len(find_logs(paths))
    bar = Progress(
        TextColumn("[bold]importing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
        disable=not progress,
    )
    with bar:
        task = bar.add_task("", total=total)

        def advance(log: Path, _result: object) -> None:
            bar.update(task, advance=1, description=log.name[:60])

        report = import_chatdev(
            paths, root=resolve_root(root, create=True), price_files=prices, on_log=advance
        )
    for result in report.failed:
        err_console.print("[bold red]error:[/] ", end="", highlight=False)
        err_console.print(str(result.error), markup=False, highlight=False, soft_wrap=True)
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
    elif fmt != OutputFormat.table:
        print_rows(report.to_dict()["results"], fmt=fmt)
    else:
        rows = [
            {
                "project_id": r.project_id or Path(r.file).name,
                "status": r.status,
                "events": r.events,
                "tokens": r.tokens,
                "cost": r.cost,
                "estimated": r.cost_estimated,
                "problems": len(r.problems) or None,
            }
            for r in report.logs
        ]
        print_rows(rows, fmt=OutputFormat.table, title="ChatDev import", columns=_COLUMNS)
        t = report.totals()
        console.print(
            f"{t['logs']} logs, {t['projects']} projects, {t['events']} events added, "
            f"{t['tokens']:,} tokens, {plural(t['duplicates'], 'duplicate')} skipped, "
            f"{t['failed']} failed, in {t['seconds']:.1f}s"
        )
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import", rich_help_panel=PANEL_STORE)
