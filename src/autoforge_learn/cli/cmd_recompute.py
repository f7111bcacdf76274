"""``autoforge recompute``: derive outcome metrics again from raw events."""

from __future__ import annotations

import typer

from autoforge_learn.cli.common import (
    PANEL_ANALYSE,
    console,
    err_console,
    fail,
    print_json,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption


def recompute(
    project_ids: list[str] = typer.Argument(None, help="Projects to check."),
    all_projects: bool = typer.Option(False, "--all", help="Check every completed project."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Recompute a project's outcome metrics from its raw events and compare with its summary.

    Derives time to completion, token cost and tokens, quality score (the documented formula),
    overridden decisions, time to first prototype and delivery speed rank from the raw
    events, and shows every difference from project_<id>_summary.json. Exits 1 on any
    mismatch.

    Example:  autoforge recompute --all
    """
    from autoforge_learn.recompute import recompute as run

    if not project_ids and not all_projects:
        fail("name one or more project ids, or pass --all")
    report = run(resolve_root(root), project_ids=None if all_projects else list(project_ids))
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
    else:
        # Programs get every check; people only the differences (all of one project's).
        everything = fmt != OutputFormat.table or len(report.projects) == 1
        rows = [
            {"project": p.project_id, **c.to_dict()}
            for p in report.projects
            for c in p.checks
            if everything or c.status != "match"
        ]
        for line_problem in report.invalid_lines[:20]:
            err_console.print(str(line_problem), markup=False, highlight=False)
        if fmt != OutputFormat.table:
            columns = ["project", "metric", "recorded", "recomputed", "status"]
            print_rows(rows, fmt=fmt, columns=columns)
        elif rows:
            print_rows(rows, fmt=fmt, title="Recomputed outcome metrics")
        if fmt == OutputFormat.table:
            for p in report.projects:
                for problem in p.problems:
                    err_console.print(f"{p.project_id}: {problem}", markup=False)
            bad = sum(1 for p in report.projects if not p.ok)
            checked = len(report.projects)
            verdict = "[green]all match[/]" if report.ok else f"[red]{bad} with differences[/]"
            console.print(f"{checked} projects recomputed from raw events: {verdict}")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_ANALYSE)(recompute)
