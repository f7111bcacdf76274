"""``autoforge suggest`` (spec 6.1) and ``autoforge prompts apply`` (a suggestion -> a version)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import (
    PANEL_LEARN,
    RootOption,
    console,
    err_console,
    fail,
    index_progress,
    print_json,
    resolve_root,
)

if TYPE_CHECKING:
    from autoforge_learn.suggest import Suggestion


class SuggestFormat(StrEnum):
    table = "table"
    yaml = "yaml"
    json = "json"


def suggest_command(
    findings: Path | None = typer.Option(
        None,
        "--findings",
        help="JSON file with a list of findings (Finding.to_dict()).",
        exists=True,
        dir_okay=False,
    ),
    root: Path | None = RootOption,
    fmt: SuggestFormat = typer.Option(SuggestFormat.table, "--format", help="Printed output."),
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
    """Turn pattern findings into prompt change suggestions (spec 6.1).

    Each run writes a new ai/training_data/reports/suggestions_<date>[_N].yaml.

    Ids SUG-YYYY-MM-NNN continue after earlier files. Apply one with: autoforge prompts apply.

    Example:  autoforge suggest --findings findings.json --format yaml
    """
    from autoforge_learn.suggest import SuggestionError, load_findings, suggest_from_root
    from autoforge_learn.suggest.store import dump_yaml

    base = resolve_root(root)
    try:
        found = load_findings(findings) if findings is not None else None
        with index_progress():
            made, path = suggest_from_root(base, found, rewriter=rewriter)
    except SuggestionError as exc:
        fail(str(exc))
    data = [s.to_dict() for s in made]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".json":
            import orjson

            out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        else:
            out.write_text(dump_yaml(data))
    if fmt == SuggestFormat.json:
        print_json(data)
    elif fmt == SuggestFormat.yaml:
        sys.stdout.write(dump_yaml(data))
    elif not made:
        console.print("No suggestions: no finding matched a rule of spec 6.1.")
    else:
        _table(made)
    if path is not None:
        err_console.print(f"wrote {path}")
    if out is not None:
        err_console.print(f"wrote {out}")


def _table(made: list[Suggestion]) -> None:
    from rich.table import Table

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
            f"{s.suggestion_type} / {s.proposed_change.section}",
            f"{s.confidence:.2f}{thin}",
            f"{impact.gate_success_improvement:.2f}",
            f"{impact.retry_reduction:.2f}",
        )
    console.print(table)


def apply_command(
    suggestion_id: str = typer.Argument(..., help="The suggestion id, e.g. SUG-2025-10-001."),
    draft: bool = typer.Option(False, "--draft", help="Create the version as a draft."),
    root: Path | None = RootOption,
) -> None:
    """Create the next prompt version from a suggestion (its id is recorded as the source).

    Refused if the section changed since the suggestion was made, or if already applied.

    Example:  autoforge prompts apply SUG-2025-10-001 --draft
    """
    from autoforge_learn.suggest import SuggestionError, apply_suggestion

    try:
        created = apply_suggestion(resolve_root(root), suggestion_id, draft=draft)
    except SuggestionError as exc:
        fail(str(exc))
    console.print(
        f"Created [bold]{created.id}[/] ({created.status}) from {created.parent or 'nothing'}; "
        f"source {suggestion_id}"
    )


def register(app: typer.Typer) -> None:
    from autoforge_learn.cli.cmd_prompts import prompts_app

    app.command("suggest", rich_help_panel=PANEL_LEARN)(suggest_command)
    if not any(c.name == "apply" for c in prompts_app.registered_commands):
        prompts_app.command("apply")(apply_command)
