"""``autoforge train``: label, aggregate, find patterns, suggest, report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_START, console, err_console, print_json, print_rows
from autoforge_learn.cli.options import (
    FormatOption,
    OutputFormat,
    uses_selection,
    uses_workspace,
)

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


@uses_workspace
@uses_selection
def train(
    ws: Workspace,
    selection: Selection,
    fmt: FormatOption = OutputFormat.table,
    publish: Path | None = typer.Option(
        None,
        "--publish",
        help="Also copy the report set into DIR/<date>/ and rewrite DIR/index.html "
        "(a folder to serve to the team, e.g. from a weekly CI job).",
        file_okay=False,
    ),
) -> None:
    """Run the learning loop on the selected events: label, aggregate, detect patterns,
    fire loops, suggest, report.

    Writes, in ai/training_data/reports/: training_<date>.md and .html (charts in
    assets/), YYYY-MM-learning_report.md, metrics_trends.json and the suggestions YAML;
    with a selection, the report
    files' names carry it (training_<date>_recipe-web_app.md), so the whole store's
    report is never overwritten.

    Example:  autoforge train --last 10
    Example:  autoforge train --publish site/reports
    """
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from autoforge_learn.train import STEPS
    from autoforge_learn.train import train as run

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=fmt != OutputFormat.table,
        transient=True,
    ) as bar:
        task = bar.add_task("Training", total=len(STEPS))

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, description=f"Training: {step}")

        result = run(ws, selection, progress=advance)
    data = result.to_dict()
    if publish is not None:
        from autoforge_learn.publish import publish as publish_run

        data["published"] = str(publish_run(result, publish))
    if fmt == OutputFormat.json:
        print_json(data)
        return
    if fmt != OutputFormat.table:
        print_rows([data], fmt=fmt)
        return
    console.print(result.summary(), markup=False)
    console.print(f"Report:       {result.report}", markup=False)
    console.print(f"HTML report:  {result.report_html}", markup=False)
    if result.suggestions_file:
        console.print(f"Suggestions:  {result.suggestions_file}", markup=False)
    if publish is not None:
        console.print(f"Published:    {data['published']}", markup=False)
    if result.suggestions:
        first = result.suggestions[0].suggestion_id
        console.print(f"Next:         autoforge prompts apply {first}")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_START)(train)
