"""``autoforge label`` and ``autoforge aggregate``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_ANALYSE, console, print_json, print_rows
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
def label(ws: Workspace, selection: Selection, fmt: FormatOption = OutputFormat.table) -> None:
    """Label the selected events by the four labeling rules and write labeled/*.jsonl.

    Gate checks get a quality (excellent/good/acceptable/poor), decisions an alignment
    (correct/reasonable/incorrect), projects an output label (production_ready/
    needs_minor_fixes/needs_rework) and prompt versions an effectiveness (high/medium/low).
    labeled/selection.json records what the files cover.

    Example:  autoforge label --format json
    """
    from autoforge_learn.label.run import label_store

    report = label_store(ws, selection)
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
        return
    rows = [
        {"file": report.files[name].name if name in report.files else name, "label": k, "n": n}
        for name, counts in report.counts.items()
        for k, n in counts.items()
    ]
    print_rows(rows, fmt=fmt, title="Labels written", columns=["file", "label", "n"])


@uses_workspace
@uses_selection
def aggregate(
    ws: Workspace, selection: Selection, fmt: FormatOption = OutputFormat.table
) -> None:
    """Write aggregated/*.json for the selected events: per role, per recipe, per prompt
    version, and monthly trends. Each file records the selection it covers.

    Example:  autoforge aggregate --since 2025-09-01
    """
    from autoforge_learn.aggregate import aggregate as run

    report = run(ws, selection)
    if fmt == OutputFormat.json:
        print_json(report.content)
        return
    rows = [{"file": str(path), "content": name} for name, path in report.files.items()]
    if fmt == OutputFormat.table:
        for row in rows:
            console.print(f"wrote {row['file']}  ({row['content']})", markup=False)
    else:
        print_rows(rows, fmt=fmt)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_ANALYSE)(label)
    app.command(rich_help_panel=PANEL_ANALYSE)(aggregate)
