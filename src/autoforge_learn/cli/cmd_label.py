"""``autoforge label`` and ``autoforge aggregate``."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.common import (
    PANEL_ANALYSE,
    OutputFormat,
    RootOption,
    console,
    index_progress,
    print_json,
    print_rows,
    resolve_root,
)

EngineOption = typer.Option(
    None,
    "--engine",
    help="duckdb (default: <root>/index.duckdb), duckdb:PATH or postgresql://... "
    "Default: $AUTOFORGE_ENGINE.",
)


def label(
    root: Path | None = RootOption,
    engine: str | None = EngineOption,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """Label every event by the spec 3.1 rules and write labeled/*.jsonl.

    Gate checks get a quality (excellent/good/acceptable/poor), decisions an alignment
    (correct/reasonable/incorrect), projects an output label (production_ready/
    needs_minor_fixes/needs_rework) and prompt versions an effectiveness (high/medium/low).

    Example:  autoforge label --format json
    """
    from autoforge_learn.label.run import label_store

    with index_progress():
        report = label_store(resolve_root(root), engine=engine)
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
        return
    rows = [
        {"file": report.files[name].name if name in report.files else name, "label": k, "n": n}
        for name, counts in report.counts.items()
        for k, n in counts.items()
    ]
    print_rows(rows, fmt=fmt, title="Labels written", columns=["file", "label", "n"])


def aggregate(
    root: Path | None = RootOption,
    engine: str | None = EngineOption,
    since: str | None = typer.Option(None, "--since", help="Only events at or after DATE."),
    last: int | None = typer.Option(
        None, "--from-last-N-projects", min=1, help="Only the N most recent projects."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json."),
) -> None:
    """Write aggregated/*.json: per role, per recipe, per prompt version, and monthly trends.

    Example:  autoforge aggregate --since 2025-09-01
    """
    from autoforge_learn.aggregate import aggregate as run

    with index_progress():
        report = run(resolve_root(root), engine=engine, since=since, last_projects=last)
    if fmt == OutputFormat.json:
        print_json(report.content)
        return
    for name, path in report.files.items():
        console.print(f"wrote {path}  ({name})")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_ANALYSE)(label)
    app.command(rich_help_panel=PANEL_ANALYSE)(aggregate)
