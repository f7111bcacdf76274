"""``autoforge patterns`` and ``autoforge loops``: pattern findings and feedback loops."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from autoforge_learn.cli.common import PANEL_ANALYSE, console, print_json, print_rows
from autoforge_learn.cli.options import (
    FormatOption,
    OutputFormat,
    uses_selection,
    uses_workspace,
)

if TYPE_CHECKING:
    from autoforge_learn.findings import Finding
    from autoforge_learn.patterns.loops import LoopAction
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}

PatternOption = typer.Option(
    None,
    "--pattern",
    "-p",
    help="Only this pattern (repeatable): gate_failure_root_cause, retry_hotspot, handoff, "
    "human_override, token_efficiency, recipe_effectiveness, confidence_calibration, "
    "auto_fix_strategy.",
)
OutOption = typer.Option(None, "--out", help="Also write the JSON to FILE.")


def _write(out: Path | None, data: Any) -> None:
    if out is None:
        return
    import orjson

    from autoforge_learn.cli.common import err_console
    from autoforge_learn.store.atomic import replace_bytes

    replace_bytes(out, orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    err_console.print(f"wrote {out}", markup=False, highlight=False)


def _print(fmt: OutputFormat, data: list[dict[str, Any]], table: Any) -> None:
    if fmt == OutputFormat.table:
        table()
    elif fmt == OutputFormat.json:
        print_json(data)
    else:
        print_rows(data, fmt=fmt)


_STATUS_STYLE = {"discovery": "bold", "inconclusive": "magenta", "not_significant": "dim",
                 "context": "dim"}


def _findings_table(findings: list[Finding]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not findings:
        console.print("No findings (no data selected?).")
        return
    groups: dict[str, list[Any]] = {}
    for f in findings:
        groups.setdefault(str(f.pattern), []).append(f)
    for pattern, items in groups.items():
        table = Table(title=pattern, title_justify="left", show_lines=False)
        for name in ("severity", "status", "finding", "value", "interval", "projects", "q"):
            table.add_column(name, overflow="fold", justify="right" if name in (
                "value", "projects", "q") else "left")
        for f in items:
            interval = (
                f"{f.interval[0]:.3g} - {f.interval[1]:.3g}" if f.interval is not None else ""
            )
            q = f.hypothesis.q_value if f.hypothesis is not None else None
            table.add_row(
                Text(str(f.severity), style=_SEVERITY_STYLE.get(str(f.severity), "")),
                Text(str(f.status).replace("_", " "), style=_STATUS_STYLE.get(str(f.status), "")),
                Text(f.title), f"{f.value:.4g}", interval, str(f.projects),
                "" if q is None else f"{q:.3g}",
            )
        console.print(table)


def _loops_table(actions: list[LoopAction]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not actions:
        console.print("No feedback loop fired.")
        return
    table = Table(title="Feedback loops", title_justify="left")
    for name in ("loop", "trigger", "role", "actions"):
        table.add_column(name, overflow="fold")
    for a in actions:
        table.add_row(
            a.loop_id, Text(a.trigger), Text(a.agent_role or ""),
            Text("; ".join(a.actions[:2]) + " ..."),
        )
    console.print(table)


@uses_workspace
@uses_selection
def patterns_cmd(
    ws: Workspace,
    selection: Selection,
    pattern: list[str] | None = PatternOption,
    fmt: FormatOption = OutputFormat.table,
    out: Path | None = OutOption,
) -> None:
    """Detect the learning patterns (gate root causes, retry hotspots, handoffs,
    overrides, token efficiency, recipes, calibration, auto-fixes) in the selected events.

    JSON output is a list of findings, the input of `autoforge suggest --findings FILE`.

    Example:  autoforge patterns --pattern retry_hotspot --last 50 --format json
    """
    from autoforge_learn.patterns.detect import detect_patterns

    findings = detect_patterns(ws, selection, patterns=pattern or None)
    data = [f.to_dict() for f in findings]
    _write(out, data)
    _print(fmt, data, lambda: _findings_table(findings))


@uses_workspace
@uses_selection
def loops_cmd(
    ws: Workspace,
    selection: Selection,
    fmt: FormatOption = OutputFormat.table,
    out: Path | None = OutOption,
) -> None:
    """Evaluate the six feedback-loop triggers on the selected events and list the
    actions to take.

    Example:  autoforge loops --since 2025-09-01 --format json --out loops.json
    """
    from autoforge_learn.dataset import load_dataset
    from autoforge_learn.patterns.detect import detect_patterns
    from autoforge_learn.patterns.loops import evaluate_loops

    data = load_dataset(ws, selection)
    actions = evaluate_loops(ws, detect_patterns(ws, data=data), data=data)
    rows = [a.to_dict() for a in actions]
    _write(out, rows)
    _print(fmt, rows, lambda: _loops_table(actions))


def register(app: typer.Typer) -> None:
    app.command("patterns", rich_help_panel=PANEL_ANALYSE)(patterns_cmd)
    app.command("loops", rich_help_panel=PANEL_ANALYSE)(loops_cmd)
