"""The Typer application.

Commands live in ``cmd_*.py`` modules beside this one; each defines ``register(app)``.
They are found by name so that independent commands never edit a shared list. Heavy
libraries (ibis, duckdb, matplotlib) are imported inside the commands, never here, so
that ``autoforge --help`` starts fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from autoforge_learn import __version__
from autoforge_learn.cli import helpfmt
from autoforge_learn.errors import AutoforgeError


class _Commands(TyperGroup):
    """The command group: an :class:`AutoforgeError` from any command is printed as an
    error and exits with its code; any other exception keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AutoforgeError as exc:
            from autoforge_learn.cli.common import err_console

            err_console.print("[bold red]error:[/] ", end="", highlight=False)
            err_console.print(exc.message, markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    name="autoforge",
    help=(
        "AutoForge Learn: collect, store, label and analyse the runs of multi-agent LLM "
        "pipelines, and turn them into evidence-backed prompt and recipe changes.\n\n"
        "Example:  autoforge demo"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"autoforge-learn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """AutoForge Learn."""


def _register_commands() -> None:
    import autoforge_learn.cli as package

    names = sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("cmd_")
    )
    for name in names:
        module = importlib.import_module(f"autoforge_learn.cli.{name}")
        module.register(app)


_register_commands()
helpfmt.install()


def main() -> None:
    """Entry point of the ``autoforge`` console script."""
    try:
        app()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> NoReturn:
    """End the process with ``code`` once its work is done and said, without tearing
    down the interpreter.

    Tearing down frees every object and module one by one: after ``train`` that was a
    third of a second of a three-second command (pandas, Arrow and Ibis objects), with
    nothing left to save. Everything that matters at exit still runs: other threads are
    waited for, the ``atexit`` handlers run (logging, child processes, temporary files),
    and the standard streams are flushed. Files and the index are closed by the
    commands themselves before they return.
    """
    import atexit
    import os
    import sys
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): print it, as the interpreter would
        print(code, file=sys.stderr)
        status = 1
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the ordinary exit
        sys.exit(status)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing to deliver
            pass
    os._exit(status)
