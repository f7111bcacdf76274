"""``autoforge patterns`` and ``autoforge loops``: pattern findings and feedback loops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from autoforge_learn.cli.common import (
    PANEL_ANALYSE,
    RootOption,
    console,
    fail,
    index_progress,
    print_json,
)

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
_FORMATS = ("table", "json")

PatternOption = typer.Option(
    None,
    "--pattern",
    "-p",
    help="Only this pattern (repeatable): gate_failure_root_cause, retry_hotspot, handoff, "
    "human_override, token_efficiency, recipe_effectiveness, confidence_calibration, "
    "auto_fix_strategy.",
)
SinceOption = typer.Option(None, "--since", help="Only events at or after DATE (YYYY-MM-DD).")
LastOption = typer.Option(
    None, "--from-last-N-projects", min=1, help="Only the N most recently started projects."
)
RecipeOption = typer.Option(None, "--recipe", help="Only projects of this recipe or family.")
EngineOpt = typer.Option(
    None,
    "--engine",
    help="Analytics engine: duckdb (default, or $AUTOFORGE_ENGINE) or a PostgreSQL URL.",
)
FormatOption = typer.Option("table", "--format", help="Output format: table or json.")
OutOption = typer.Option(None, "--out", help="Also write the JSON to FILE.")


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        fail(f"unknown format {fmt!r}: use table or json")


def _write(out: Path | None, data: Any) -> None:
    if out is None:
        return
    import orjson

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    console.print(f"[dim]wrote {out}[/]")


def _findings(
    root: Path | None,
    pattern: list[str] | None,
    since: str | None,
    last: int | None,
    recipe: str | None,
    engine: str | None,
) -> Any:
    from autoforge_learn.patterns.detect import detect_patterns
    from autoforge_learn.patterns.findings import Pattern
    from autoforge_learn.store.layout import find_root

    try:
        wanted = [Pattern(p) for p in pattern] if pattern else None
    except ValueError as exc:
        fail(str(exc))
    base = find_root(root)
    try:
        with index_progress():
            found = detect_patterns(
                base,
                engine=engine,
                since=since,
                last_projects=last,
                recipe=recipe,
                patterns=wanted,
            )
        return base, found
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))


def _table(findings: list[Any]) -> None:
    from rich.table import Table

    if not findings:
        console.print("No findings (no data selected?).")
        return
    groups: dict[str, list[Any]] = {}
    for f in findings:
        groups.setdefault(str(f.pattern), []).append(f)
    for pattern, items in groups.items():
        table = Table(title=pattern, title_justify="left", show_lines=False)
        for name in ("severity", "finding", "value", "interval", "n", "impact"):
            table.add_column(name, overflow="fold")
        for f in items:
            style = _SEVERITY_STYLE.get(str(f.severity), "")
            sev = f"[{style}]{f.severity}[/]" + (" [magenta](thin)[/]" if f.thin_evidence else "")
            interval = (
                f"{f.interval[0]:.3g} - {f.interval[1]:.3g}" if f.interval is not None else ""
            )
            table.add_row(
                sev, f.title, f"{f.value:.4g}", interval, str(f.sample_size), f"{f.impact:.3g}"
            )
        console.print(table)


def patterns_cmd(
    pattern: list[str] | None = PatternOption,
    since: str | None = SinceOption,
    last: int | None = LastOption,
    recipe: str | None = RecipeOption,
    engine: str | None = EngineOpt,
    fmt: str = FormatOption,
    out: Path | None = OutOption,
    root: Path | None = RootOption,
) -> None:
    """Detect the learning patterns of spec 4.1 (gate root causes, retry hotspots,
    handoffs, overrides, token efficiency, recipes, calibration, auto-fixes).

    JSON output is a list of findings, the input of `autoforge suggest --findings FILE`.

    Example:  autoforge patterns --pattern retry_hotspot --from-last-N-projects 50 --format json
    """
    _check_format(fmt)
    _base, findings = _findings(root, pattern, since, last, recipe, engine)
    data = [f.to_dict() for f in findings]
    _write(out, data)
    if fmt == "json":
        print_json(data)
    else:
        _table(findings)


def loops_cmd(
    since: str | None = SinceOption,
    last: int | None = LastOption,
    recipe: str | None = RecipeOption,
    engine: str | None = EngineOpt,
    fmt: str = FormatOption,
    out: Path | None = OutOption,
    root: Path | None = RootOption,
) -> None:
    """Evaluate the six feedback-loop triggers of spec 5.1 and list the actions to take.

    Example:  autoforge loops --since 2025-09-01 --format json --out loops.json
    """
    from autoforge_learn.patterns.loops import evaluate_loops

    _check_format(fmt)
    base, findings = _findings(root, None, since, last, recipe, engine)
    actions = evaluate_loops(
        base, findings, engine=engine, since=since, last_projects=last, recipe=recipe
    )
    data = [a.to_dict() for a in actions]
    _write(out, data)
    if fmt == "json":
        print_json(data)
        return
    if not actions:
        console.print("No feedback loop fired.")
        return
    from rich.table import Table

    table = Table(title="Feedback loops", title_justify="left")
    for name in ("loop", "trigger", "role", "actions"):
        table.add_column(name, overflow="fold")
    for a in actions:
        table.add_row(a.loop_id, a.trigger, a.agent_role or "", "; ".join(a.actions[:2]) + " ...")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("patterns", rich_help_panel=PANEL_ANALYSE)(patterns_cmd)
    app.command("loops", rich_help_panel=PANEL_ANALYSE)(loops_cmd)
