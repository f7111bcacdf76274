"""``autoforge suggest`` and ``autoforge prompts apply`` (a suggestion -> a version)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import PANEL_LEARN, console, err_console, print_record, print_rows
from autoforge_learn.cli.options import FormatOption, OutputFormat, uses_selection, uses_workspace

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.suggest import Suggestion
    from autoforge_learn.workspace import Workspace


@uses_workspace
@uses_selection
def suggest_command(
    ws: Workspace,
    selection: Selection,
    findings: Path | None = typer.Option(
        None,
        "--findings",
        help="JSON file with a list of findings (`autoforge patterns --format json`). "
        "Default: run the pattern detectors on the selected events.",
        exists=True,
        dir_okay=False,
    ),
    fmt: FormatOption = OutputFormat.table,
    rewriter: str | None = typer.Option(
        None,
        "--rewriter",
        help="Rewriter plug-in for new_text (default: deterministic, "
        "or suggest.rewriter in config.yaml).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Also write the suggestions to this file (YAML, or JSON for .json)."
    ),
) -> None:
    """Turn pattern findings into prompt change suggestions.

    Each run writes a new ai/training_data/reports/suggestions_<date>[_N].yaml.

    Ids SUG-YYYY-MM-NNN continue after earlier files. Apply one with: autoforge prompts apply.

    Example:  autoforge suggest --last 50
    Example:  autoforge suggest --findings findings.json --format json
    """
    from autoforge_learn.store.atomic import replace_bytes, replace_text
    from autoforge_learn.suggest import load_findings
    from autoforge_learn.suggest.store import dump_yaml, suggest_run_from_root

    found = load_findings(findings) if findings is not None else None
    run = suggest_run_from_root(ws, found, selection=selection, rewriter=rewriter)
    made, path = run.suggestions, run.path
    data = [s.to_dict() for s in made]
    if out is not None:
        if out.suffix == ".json":
            import orjson

            replace_bytes(out, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        else:
            replace_text(out, dump_yaml(data))
    if fmt != OutputFormat.table:
        print_rows(data, fmt=fmt)
    elif not made:
        console.print("No suggestions: no finding matched a suggestion rule.")
    else:
        _table(made)
    for aside in run.set_aside:
        err_console.print(f"not suggested ({aside.reason.replace('_', ' ')}): "
                          f"{aside.finding_id}: {aside.explanation}", markup=False,
                          highlight=False)
    if path is not None:
        err_console.print(f"wrote {path}", markup=False, highlight=False)
    if out is not None:
        err_console.print(f"wrote {out}", markup=False, highlight=False)


def _table(made: list[Suggestion]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Prompt suggestions (* thin evidence)")
    table.add_column("id", no_wrap=True)
    table.add_column("role", no_wrap=True)
    table.add_column("change: type / section", overflow="fold", ratio=1)
    for name in ("conf", "gate +", "retry -"):
        table.add_column(name, justify="right", no_wrap=True)
    for s in made:
        thin = "*" if s.proposed_change.rationale.startswith("THIN") else ""
        impact = s.expected_impact
        table.add_row(
            s.suggestion_id,
            s.agent_role,
            Text(f"{s.suggestion_type} / {s.proposed_change.section}"),
            f"{s.confidence:.2f}{thin}",
            f"{impact.gate_success_improvement:.2f}",
            f"{impact.retry_reduction:.2f}",
        )
    console.print(table)


@uses_workspace
def apply_command(
    ws: Workspace,
    suggestion_id: str = typer.Argument(..., help="The suggestion id, e.g. SUG-2025-10-001."),
    draft: bool = typer.Option(False, "--draft", help="Create the version as a draft."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create the next prompt version from a suggestion (its id is recorded as the source).

    Refused if the section changed since the suggestion was made, or if already applied.

    Example:  autoforge prompts apply SUG-2025-10-001 --draft
    """
    from autoforge_learn.suggest import apply_suggestion

    created = apply_suggestion(ws.root, suggestion_id, draft=draft)
    print_record(
        {"id": created.id, **created.to_yaml_dict()}, fmt=fmt,
        message=f"Created {created.id} ({created.status}) from {created.parent or 'nothing'}; "
        f"source {suggestion_id}",
    )


def register(app: typer.Typer) -> None:
    from autoforge_learn.cli.cmd_prompts import prompts_app

    app.command("suggest", rich_help_panel=PANEL_LEARN)(suggest_command)
    if not any(c.name == "apply" for c in prompts_app.registered_commands):
        prompts_app.command("apply")(apply_command)
