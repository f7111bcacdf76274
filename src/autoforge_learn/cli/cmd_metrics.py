"""``autoforge metrics``: the metrics catalogue and its answers."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.cmd_index import EngineOption, StrictOption, print_issues
from autoforge_learn.cli.common import (
    PANEL_ANALYSE,
    OutputFormat,
    RootOption,
    fail,
    index_progress,
    print_rows,
)

metrics_app = typer.Typer(
    help="Metrics computed from the collected runs.\n\n"
    "Example:  autoforge metrics show --metric gate_failure_rate --by role",
    no_args_is_help=True,
)


@metrics_app.command("list")
def list_cmd(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
) -> None:
    """List every metric with its definition.

    Example:  autoforge metrics list --format json
    """
    from autoforge_learn.analyze.metrics import list_metrics

    print_rows(list_metrics(), fmt=fmt, title="Metrics")


@metrics_app.command("show")
def show_cmd(
    metric: str = typer.Option(..., "--metric", "-m", help="Metric name (see `metrics list`)."),
    by: list[str] = typer.Option(
        [],
        "--by",
        help="Group by: role, prompt_version, model, recipe, domain, gate, stage, "
        "month, project (repeatable).",
    ),
    since: str | None = typer.Option(None, "--since", help="Only events at or after DATE."),
    last_projects: int | None = typer.Option(
        None, "--from-last-N-projects", help="Only the N most recently started projects.", min=1
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    root: Path | None = RootOption,
    engine: str | None = EngineOption,
    strict: bool = StrictOption,
) -> None:
    """Compute one metric, optionally grouped and filtered (refreshes the index first).

    Example:  autoforge metrics show --metric gate_pass_rate --by prompt_version --format json
    """
    from autoforge_learn.analyze.ingest import InvalidLinesError
    from autoforge_learn.analyze.query import metric_report
    from autoforge_learn.store.layout import find_root

    try:
        with index_progress() as progress:
            rows, report = metric_report(
                find_root(root),
                metric,
                by=by,
                since=since,
                last_projects=last_projects,
                engine=engine,
                strict=strict,
                progress=progress,
            )
    except InvalidLinesError as exc:
        print_issues(exc.report.issues, limit=50)
        fail(f"{len(exc.report.issues)} invalid line(s) (--strict)")
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    print_issues(report.issues)
    print_rows(rows, fmt=fmt, title=metric)


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics", rich_help_panel=PANEL_ANALYSE)
