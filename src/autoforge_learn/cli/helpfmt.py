"""How option values read in ``--help``: as words (TEXT, N, PATH, table|json), the way
click-based CLIs have always shown them, not as Python types (``<str>``, ``<bool>``,
``<list[str]>``) as recent Typer versions print them.

Typer builds its parameters itself, so the one place to say this is the parameter
classes' ``display_type_rich``; the test of the help (tests/test_cli_help.py) fails if
a Typer release moves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.core import TyperArgument, TyperOption

_WORDS = {str: "TEXT", int: "N", float: "NUMBER", Path: "PATH"}


def plain_type(param: Any, ctx: Any) -> str | None:
    """The word shown after an option in help; nothing for a flag."""
    if isinstance(param, TyperOption) and param.is_flag:
        return None
    if param.metavar:
        return None if isinstance(param, TyperArgument) else str(param.metavar)
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    annotation = desc.annotation
    args = getattr(annotation, "__args__", ())
    if desc.is_list and args:
        annotation = args[0]
    if desc.is_path:
        return "PATH"
    if desc.is_datetime:
        return "DATE"
    word = _WORDS.get(annotation, "VALUE")
    return word if isinstance(param, TyperOption) else None


def argument_name(param: Any) -> str:
    """An argument as click-based CLIs show it: ``EXPERIMENT_ID``, ``[ROLE]``,
    ``PATH...`` (Typer 0.29 prints ``{experiment_id}``)."""
    name = str(param.metavar or param.name or "").upper()
    if not param.required:
        name = f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def install() -> None:
    """Make Typer's help show :func:`plain_type` for every option and argument, and
    :func:`argument_name` for arguments."""
    TyperOption.display_type_rich = plain_type  # type: ignore[method-assign, assignment]
    TyperArgument.display_type_rich = plain_type  # type: ignore[method-assign, assignment]
    TyperArgument._usage_display_name = argument_name  # type: ignore[method-assign, assignment]
    TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign, assignment]
