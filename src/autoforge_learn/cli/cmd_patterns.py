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
StatusOption = typer.Option(
    None,
    "--status",
    "-s",
    help="Only findings with this status (repeatable): discovery (survives the run's "
    "false discovery correction), not_significant, inconclusive (too few projects), "
    "context (a description, not a claim).",
)
OutOption = typer.Option(None, "--out", help="Also write the JSON to FILE.")


def _with_status(findings: list[Finding], statuses: list[str] | None) -> list[Finding]:
    """The findings whose status is one of ``statuses`` (all without any)."""
    import difflib

    from autoforge_learn.errors import UsageError
    from autoforge_learn.findings import Status

    if not statuses:
        return findings
    known = [str(s) for s in Status]
    for status in statuses:
        if status not in known:
            close = difflib.get_close_matches(status, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
            raise UsageError(f"--status {status!r} is no status; {hint}")
    return [f for f in findings if str(f.status) in statuses]


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


#: Where a finding's text starts: after its severity and status.
_TEXT_COLUMN = 26


def _findings_list(findings: list[Finding]) -> None:
    """Findings grouped by pattern, one block each: severity, status, the finding in
    words (wrapped to the terminal) and its numbers; readable at 80 columns."""
    import textwrap
    from collections import Counter

    from rich.text import Text

    if not findings:
        console.print("No findings (no data selected?).")
        return
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(str(f.pattern), []).append(f)
    width = max(console.width, _TEXT_COLUMN + 30)
    for pattern, items in groups.items():
        counts = Counter(str(f.status) for f in items)
        summary = ", ".join(
            f"{n} {'discoveries' if status == 'discovery' and n != 1 else status.replace('_', ' ')}"
            for status, n in counts.most_common())
        console.print(Text(pattern, style="bold") + Text(f"  {summary}", style="dim"),
                      soft_wrap=True)
        for f in items:
            lines = textwrap.wrap(f.title, width - _TEXT_COLUMN) or [""]
            head = Text("  ") + Text(f"{f.severity!s:<8}", style=_SEVERITY_STYLE.get(
                str(f.severity), "")) + Text(f"{str(f.status).replace('_', ' '):<16}",
                                             style=_STATUS_STYLE.get(str(f.status), ""))
            console.print(head + Text(lines[0]), soft_wrap=True)
            for line in lines[1:]:
                console.print(Text(" " * _TEXT_COLUMN + line), soft_wrap=True)
            for line in textwrap.wrap(_numbers(f), width - _TEXT_COLUMN):
                console.print(Text(" " * _TEXT_COLUMN + line, style="dim"), soft_wrap=True)
        console.print()


def _numbers(f: Finding) -> str:
    """A finding's value, 95% interval, projects and q-value, in one line."""
    from autoforge_learn.cli.common import cell

    value = f"{f.metric} {cell(f.value).plain}"
    if f.interval is not None:
        value += f" [{cell(f.interval[0]).plain}, {cell(f.interval[1]).plain}]"
    parts = [value, f"{f.projects:,} project{'s' if f.projects != 1 else ''}"]
    if f.hypothesis is not None and f.hypothesis.q_value is not None:
        q = f.hypothesis.q_value
        parts.append("q < 0.001" if q < 0.001 else f"q = {q:.2g}")
    return " · ".join(parts)


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
    status: list[str] | None = StatusOption,
    fmt: FormatOption = OutputFormat.table,
    out: Path | None = OutOption,
) -> None:
    """Detect the learning patterns (gate root causes, retry hotspots, handoffs,
    overrides, token efficiency, recipes, calibration, auto-fixes) in the selected events.

    JSON output is a list of findings, the input of `autoforge suggest --findings FILE`.
    `--status` only filters what is shown: the statistics are those of the whole run.

    Example:  autoforge patterns --pattern retry_hotspot --last 50 --format json
    Example:  autoforge patterns --status discovery
    """
    from autoforge_learn.patterns.detect import detect_patterns

    findings = _with_status(detect_patterns(ws, selection, patterns=pattern or None), status)
    data = [f.to_dict() for f in findings]
    _write(out, data)
    _print(fmt, data, lambda: _findings_list(findings))


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
