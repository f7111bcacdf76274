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

#: Other names users give the --by dimensions (the events' field names, mostly).
BY_ALIASES = {
    "agent_role": "role",
    "agent": "role",
    "version": "prompt_version",
    "prompt": "prompt_version",
    "agent_model": "model",
    "gate_id": "gate",
    "stage_id": "stage",
    "project_id": "project",
}

metrics_app = typer.Typer(
    help="Metrics computed from the collected runs.\n\n"
    "Example:  autoforge metrics show gate_failure_rate --by role",
    no_args_is_help=True,
)


@metrics_app.command("list")
def list_cmd(fmt: FormatOption = OutputFormat.table) -> None:
    """List every metric with its definition.

    Example:  autoforge metrics list --format json
    """
    from autoforge_learn.analyze.metrics import list_metrics

    rows = list_metrics()
    if fmt != OutputFormat.table:
        print_rows(rows, fmt=fmt, title="Metrics")
        return
    # Readable at 80 columns: the label and kind are in --format json.
    short = [
        {
            "metric": r["name"],
            "unit": r["unit"],
            "better": "lower" if r["lower_is_better"] else "higher",
            "definition": r["definition"],
        }
        for r in rows
    ]
    print_rows(short, fmt=fmt, title="Metrics (details: --format json)")


@metrics_app.command("show")
@uses_workspace
@uses_selection
def show_cmd(
    ws: Workspace,
    selection: Selection,
    metric_name: str | None = typer.Argument(
        None, metavar="METRIC", help="Metric name (see `metrics list`); or --metric.",
        show_default=False,
    ),
    metric: str | None = typer.Option(
        None, "--metric", "-m", help="Metric name (see `metrics list`).", show_default=False
    ),
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

    Example:  autoforge metrics show gate_pass_rate --by prompt_version --format json
    """
    from autoforge_learn.dataset.metrics import metric_values

    if metric_name and metric and metric_name != metric:
        raise typer.BadParameter(f"two metrics named: {metric_name} and --metric {metric}")
    chosen = metric_name or metric
    if chosen is None:
        raise typer.BadParameter("name a metric: `autoforge metrics show gate_pass_rate` "
                                 "(see `autoforge metrics list`)", param_hint="METRIC")
    by = [BY_ALIASES.get(b, b) for b in by]
    rows = metric_values(ws, chosen, by=by, selection=selection)
    issues = ws.index_report.issues if ws.index_report is not None else []
    print_issues(issues, limit=50 if strict else 20)
    if strict and issues:
        fail(f"{plural(len(issues), 'invalid line')} (--strict)")
    if fmt == OutputFormat.table:
        from autoforge_learn.analyze.metrics import get_metric
        from autoforge_learn.analyze.units import format_value

        unit = get_metric(chosen).unit
        rows = [{**r, "value": format_value(r.get("value"), unit)} for r in rows]
        right = ["value"]
        if unit.startswith("USD"):  # the numerator is a sum of dollars
            rows = [{**r, "numerator": format_value(r.get("numerator"), "USD")} for r in rows]
            right.append("numerator")
        print_rows(rows, fmt=fmt, title=f"{chosen} ({unit})", right=right)
        return
    print_rows(rows, fmt=fmt, title=chosen)


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics", rich_help_panel=PANEL_ANALYSE)
