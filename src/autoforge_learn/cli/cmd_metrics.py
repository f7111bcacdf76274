"""``autoforge metrics``: the metrics catalogue and its answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.cmd_index import StrictOption, print_issues
from autoforge_learn.cli.common import PANEL_ANALYSE, fail, print_rows
from autoforge_learn.cli.options import (
    FormatOption,
    OutputFormat,
    uses_selection,
    uses_workspace,
)
from autoforge_learn.words import plural

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

metrics_app = typer.Typer(
    help="Metrics computed from the collected runs.\n\n"
    "Example:  autoforge metrics show --metric gate_failure_rate --by role",
    no_args_is_help=True,
)


@metrics_app.command("list")
def list_cmd(fmt: FormatOption = OutputFormat.table) -> None:
    """List every metric with its definition.

    Example:  autoforge metrics list --format json
    """
    from autoforge_learn.analyze.metrics import list_metrics

    print_rows(list_metrics(), fmt=fmt, title="Metrics")


@metrics_app.command("show")
@uses_workspace
@uses_selection
def show_cmd(
    ws: Workspace,
    selection: Selection,
    metric: str = typer.Option(..., "--metric", "-m", help="Metric name (see `metrics list`)."),
    by: list[str] = typer.Option(
        [],
        "--by",
        help="Group by: role, prompt_version, model, recipe, domain, gate, stage, "
        "month, project (repeatable).",
    ),
    fmt: FormatOption = OutputFormat.table,
    strict: bool = StrictOption,
) -> None:
    """Compute one metric, optionally grouped and filtered (refreshes the index first).

    Example:  autoforge metrics show --metric gate_pass_rate --by prompt_version --format json
    """
    from autoforge_learn.dataset.metrics import metric_values

    rows = metric_values(ws, metric, by=by, selection=selection)
    issues = ws.index_report.issues if ws.index_report is not None else []
    print_issues(issues, limit=50 if strict else 20)
    if strict and issues:
        fail(f"{plural(len(issues), 'invalid line')} (--strict)")
    print_rows(rows, fmt=fmt, title=metric)


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics", rich_help_panel=PANEL_ANALYSE)
