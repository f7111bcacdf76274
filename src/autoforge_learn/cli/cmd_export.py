"""``autoforge export``: write the store's events to Parquet, CSV or JSONL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_STORE, err_console
from autoforge_learn.cli.options import uses_selection, uses_workspace
from autoforge_learn.export.formats import ExportFormat, ExportWhat

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


@uses_workspace
@uses_selection
def export(
    ws: Workspace,
    selection: Selection,
    out: Path = typer.Argument(..., help="The file to write (replaced if it exists)."),
    fmt: ExportFormat | None = typer.Option(
        None,
        "--format",
        help="parquet, csv or jsonl. Default: from OUT's extension.",
        show_default=False,
    ),
    kinds: list[str] = typer.Option(
        [], "--kind", help="Only this kind of event (repeatable), e.g. gate_evaluation."
    ),
    what: ExportWhat = typer.Option(
        ExportWhat.raw,
        "--what",
        help="raw events, or a derived table: gate_labels, decision_labels, output_labels, "
        "prompt_labels, manual_reviews, role_performance, recipe_success, prompt_versions, "
        "monthly_trends.",
    ),
) -> None:
    """Export events, labels or aggregates for pandas, DuckDB, Spark or a spreadsheet.

    Parquet and CSV are flat: the envelope, every field of the kinds exported, then
    extra fields; nested values are JSON text. JSONL holds the canonical events, ready
    for `autoforge organize` into another store. Invalid store lines are skipped and
    reported. --what exports a derived table instead (labels, reviews, aggregates),
    computed afresh for the selection.

    Example:  autoforge export labels.csv --what gate_labels
    Example:  autoforge export events.parquet --kind gate_evaluation --since 2025-10-01
    """
    from autoforge_learn.export import export_events

    report = export_events(
        ws, out, fmt=fmt, kinds=kinds or None, selection=selection, what=what
    )
    for problem in report.problems[:20]:
        err_console.print(f"skipped {problem}", highlight=False, soft_wrap=True, markup=False)
    kinds_text = ", ".join(f"{k} {n}" for k, n in sorted(report.kinds.items())) or "none"
    noun = "events" if what == ExportWhat.raw else "rows"
    err_console.print(
        f"wrote {report.events} {noun} to {report.out} ({report.fmt.value}; {kinds_text})"
        + (f"; skipped {report.skipped_invalid} invalid lines" if report.skipped_invalid else ""),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_STORE)(export)
