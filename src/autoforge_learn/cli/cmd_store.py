"""Store commands: ``init``, ``validate``, ``organize``, ``schema``."""

from __future__ import annotations

from pathlib import Path

import typer

from autoforge_learn.cli.common import (
    PANEL_STORE,
    console,
    err_console,
    print_json,
    print_record,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption

_MAX_PROBLEMS_SHOWN = 50


def init(root: RootOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Create the .autoforge layout and a config file.

    Makes ai/training_data/{raw,labeled,aggregated,reports}/ and ai/prompts/, and writes
    config.yaml with every setting at its default. Safe to run again: existing files
    are left as they are.

    Example:  autoforge init
    """
    from autoforge_learn.store.init import init_store

    created = init_store(resolve_root(root, create=True))
    config = "wrote" if created.config_written else "kept existing"
    print_record(
        {"root": str(created.root), "config": str(created.config_path),
         "config_written": created.config_written},
        fmt=fmt, message=f"Initialised {created.root}\n  {config} {created.config_path}",
    )


def validate(
    paths: list[Path] = typer.Argument(
        None, help="JSONL files or directories (searched for *.jsonl). Default: the raw store."
    ),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Check every line of event files; print each error as file:line: field: message.

    Exits 1 if any line is torn, not JSON, or not a valid event.

    Example:  autoforge validate .autoforge/ai/training_data/raw
    """
    from autoforge_learn.store.layout import StoreLayout
    from autoforge_learn.store.validate import LineProblem, expand_paths, validate_files

    targets = list(paths) if paths else [StoreLayout(resolve_root(root)).raw]
    unread: list[LineProblem] = []
    files = expand_paths(targets, problems=unread)
    report = validate_files(files)
    report.problems[:0] = unread
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
    else:
        for problem in report.problems[:_MAX_PROBLEMS_SHOWN]:
            err_console.print(str(problem), highlight=False, soft_wrap=True, markup=False)
        if len(report.problems) > _MAX_PROBLEMS_SHOWN:
            err_console.print(f"... and {len(report.problems) - _MAX_PROBLEMS_SHOWN} more problems")
        rows = [{"kind": k, "events": n} for k, n in sorted(report.kinds.items())]
        if fmt != OutputFormat.table:
            print_rows(rows, fmt=fmt, columns=["kind", "events"])
        else:
            if rows:
                print_rows(rows, fmt=fmt, title="Valid events per kind", columns=["kind", "events"])
            status = (
                "[green]ok[/]" if report.ok else f"[red]{report.invalid_lines} invalid lines[/]"
            )
            console.print(
                f"{report.files} files, {report.lines} lines: {report.valid} valid events, "
                f"{report.duplicates} exact duplicates, {status}"
            )
    if not report.ok:
        raise typer.Exit(1)


def organize(
    sources: list[Path] = typer.Argument(..., help="JSONL files or directories to file."),
    root: RootOption = None,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report what would be filed; write nothing."
    ),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """File JSONL events written elsewhere into the store by project and month.

    Sources are only read. Idempotent: events already in the store (same event_id) are
    skipped, so a second run adds nothing. Lines in the flat gate format (gate_result) get a
    stable event_id. Bad lines are reported as file:line and not filed (exit 1).

    Example:  autoforge organize ./pipeline-logs/ --dry-run
    """
    from autoforge_learn.store.organize import organize as organize_events

    report = organize_events(sources, root=resolve_root(root, create=True), dry_run=dry_run)
    if fmt == OutputFormat.json:
        print_json(report.to_dict())
    else:
        for problem in report.problems[:_MAX_PROBLEMS_SHOWN]:
            err_console.print(str(problem), highlight=False, soft_wrap=True, markup=False)
        rows = [{"file": f, "events": n} for f, n in sorted(report.written.items())]
        if fmt != OutputFormat.table:
            print_rows(rows, fmt=fmt, columns=["file", "events"])
        else:
            if rows:
                print_rows(rows[:40], fmt=fmt, title="Filed", columns=["file", "events"])
                if len(rows) > 40:
                    console.print(f"... and {len(rows) - 40} more files")
            verb = "would file" if dry_run else "filed"
            console.print(
                f"{report.files} source files, {report.lines} lines: {verb} {report.filed} events, "
                f"{report.already_present} already present, {len(report.problems)} invalid"
            )
    if not report.ok:
        raise typer.Exit(1)


def schema(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of printing."
    ),
) -> None:
    """Print the JSON Schema of one event line, generated from the models.

    Example:  autoforge schema > training-event.schema.json
    """
    from autoforge_learn.schema.jsonschema import render_json_schema

    text = render_json_schema()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        err_console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    panel = PANEL_STORE
    app.command(rich_help_panel=panel)(init)
    app.command(rich_help_panel=panel)(validate)
    app.command(rich_help_panel=panel)(organize)
    app.command(rich_help_panel=panel)(schema)
