"""Pieces every command shares: consoles, printing data, error exits, the index bar.

The shared options themselves (``--root``, ``--engine``, the selection, ``--format``)
are declared in :mod:`autoforge_learn.cli.options`.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from autoforge_learn.cli.options import OutputFormat

# Help panels that group the commands in `autoforge --help`.
PANEL_START = "Start here"
PANEL_STORE = "Collect and store"
PANEL_ANALYSE = "Analyse"
PANEL_LEARN = "Learn"

console = Console()
err_console = Console(stderr=True)

def resolve_root(root: Path | None, *, create: bool = False) -> Path:
    """The ``.autoforge`` directory a command works on (same rules as the SDK).

    Only the commands that make a store (``init``, ``demo``, ``simulate``, ``import``,
    ``organize``) pass ``create``; any other run outside a store is an error, so that
    nothing is created by accident and no empty answer passes for a real one.

    Raises:
        NotFoundError: If there is no store there and ``create`` is false.
    """
    from autoforge_learn.errors import NotFoundError
    from autoforge_learn.store.layout import find_root

    found = find_root(root)
    if not create and not found.is_dir():
        where = f"{found} does not exist" if root is not None else (
            f"no .autoforge in {Path.cwd()} or any parent")
        raise NotFoundError(
            f"not an autoforge store ({where}): run `autoforge init` or `autoforge demo`, "
            "or point --root (or AUTOFORGE_HOME) at one"
        )
    return found


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print an error to stderr and exit with ``code``."""
    err_console.print("[bold red]error:[/] ", end="", highlight=False)
    # The message holds user input and data: printed as text, never as markup.
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def exit_interrupted(message: str) -> NoReturn:
    """Say what an interrupted command left behind, then end as interrupted by Ctrl-C.

    The process ends by SIGINT itself (the shell sees status 130 and a script's loop
    stops too), the convention for programs that catch Ctrl-C to clean up. A plain
    ``exit(130)`` is not reliable under CPython: a Ctrl-C that landed inside a lazy
    import still makes the interpreter end by SIGINT, so the status would depend on
    timing. Where signals cannot end a process (Windows), it exits with 130.
    """
    import os
    import signal

    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    sys.stdout.flush()
    sys.stderr.flush()
    if hasattr(signal, "SIGKILL"):  # POSIX: re-raise Ctrl-C with its default action
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    raise typer.Exit(130)


def print_json(data: Any) -> None:
    """Print data as pretty JSON on stdout (no Rich markup, safe to pipe into jq)."""
    sys.stdout.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"
    )


def print_rows(
    rows: Sequence[dict[str, Any]],
    *,
    fmt: OutputFormat,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    right: Sequence[str] = (),
) -> None:
    """Print a list of records as a Rich table, JSON, JSON lines or CSV (``right``: text
    columns aligned as numbers, e.g. values already formatted with their unit)."""
    if fmt == OutputFormat.json:
        print_json(list(rows))
        return
    if fmt == OutputFormat.jsonl:
        for row in rows:
            sys.stdout.write(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
        return
    cols = list(columns) if columns else list(dict.fromkeys(k for row in rows for k in row))
    if fmt == OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        # nested values as JSON text (a Python repr would be unreadable by programs)
        writer.writerows(
            {k: orjson.dumps(v).decode() if isinstance(v, dict | list | tuple) else v
             for k, v in row.items()}
            for row in rows
        )
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=title, show_lines=False)
    for index, col in enumerate(cols):
        numeric = col in right or all(
            isinstance(r.get(col), int | float) for r in rows if r.get(col) is not None
        )
        # The first column names the row: never wrap it; long text columns wrap instead.
        table.add_column(col, justify="right" if numeric else "left", no_wrap=index == 0)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in cols))
    console.print(table)


def print_record(record: dict[str, Any], *, fmt: OutputFormat, message: str) -> None:
    """Print what a command did: ``message`` for people (table), or ``record`` as JSON,
    one JSON line, or a one-row CSV (nested values as JSON text) for programs."""
    if fmt == OutputFormat.table:
        console.print(message, highlight=False, markup=False)
    elif fmt == OutputFormat.json:
        print_json(record)
    elif fmt == OutputFormat.jsonl:
        sys.stdout.write(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
    else:
        print_rows([record], fmt=fmt)


def cell(value: Any) -> Text:
    """A table cell: numbers without exponents and with thousands separators; text as
    plain text (data such as a gate named ``g[/y]`` is never read as Rich markup)."""
    if value is None:
        return Text("-")
    if isinstance(value, bool):
        return Text(str(value).lower())
    if isinstance(value, int):
        return Text(f"{value:,}")
    if isinstance(value, float):
        size = abs(value)
        if size >= 1000:
            return Text(f"{value:,.0f}")
        return Text(f"{value:.4g}" if size >= 1e-4 or value == 0 else f"{value:.2e}")
    return Text(str(value))


#: Refreshes reading less than this show no progress bar (they take well under a second).
INDEX_PROGRESS_MIN_BYTES = 16 << 20


@contextmanager
def index_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback for an index refresh that shows a bar on stderr.

    The bar shows only on a terminal and only for reads of at least
    :data:`INDEX_PROGRESS_MIN_BYTES`; stdout stays clean for ``--format json``. It is
    taken down as soon as the read is done, so the command may show bars of its own.
    Yields the callback (None when no bar can show).
    """
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task: list[Any] = []

    def update(done: int, total: int) -> None:
        if not task:
            if total < INDEX_PROGRESS_MIN_BYTES or done >= total:
                return
            bar.start()
            task.append(bar.add_task("Indexing raw events", total=total))
        bar.update(task[0], completed=done, total=total)
        if done >= total:
            bar.stop()
            bar.remove_task(task.pop())

    try:
        yield update
    finally:
        if task:
            bar.stop()
