"""``autoforge train``: label, aggregate, find patterns, suggest, report."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.common import (
    PANEL_START,
    OutputFormat,
    RootOption,
    console,
    fail,
    print_json,
    resolve_root,
)


def train(
    last: int | None = typer.Option(
        None, "--from-last-N-projects", min=1, help="Learn from the N most recent projects."
    ),
    since: str | None = typer.Option(None, "--since", help="Only events at or after DATE."),
    recipe: str | None = typer.Option(None, "--recipe", help="Only this recipe (or family)."),
    root: Path | None = RootOption,
    engine: str | None = typer.Option(
        None, "--engine", help="duckdb (default) or postgresql://...; default $AUTOFORGE_ENGINE."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json."),
) -> None:
    """Run the learning loop: label, aggregate, detect patterns, fire loops, suggest, report.

    Writes ai/reports/training_<date>.md and .html, reports/YYYY-MM-learning_report.md,
    reports/metrics_trends.json and the suggestions YAML.

    Example:  autoforge train --from-last-N-projects 10
    """
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from autoforge_learn.train import STEPS
    from autoforge_learn.train import train as run

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=fmt != OutputFormat.table,
        transient=True,
    ) as bar:
        task = bar.add_task("Training", total=len(STEPS))

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, description=f"Training: {step}")

        try:
            result = run(
                resolve_root(root),
                engine=engine,
                last_projects=last,
                since=since,
                recipe=recipe,
                progress=advance,
            )
        except ValueError as exc:
            fail(str(exc))
    if fmt == OutputFormat.json:
        print_json(result.to_dict())
        return
    data = result.to_dict()
    severities = ", ".join(f"{n} {k}" for k, n in data["findings_by_severity"].items())
    console.print(
        f"Learned from {data['projects']} projects ({data['events']:,} events): "
        f"{data['findings']} findings ({severities or 'none'}), "
        f"{len(data['loops_fired'])} feedback loops fired, "
        f"{len(data['suggestions'])} suggestions."
    )
    console.print(f"Report:       {result.report}")
    console.print(f"HTML report:  {result.report_html}")
    if result.suggestions_file:
        console.print(f"Suggestions:  {result.suggestions_file}")
    if result.suggestions:
        first = result.suggestions[0]["suggestion_id"]
        console.print(f"Next:         autoforge prompts apply {first}")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_START)(train)
