"""How ``--help`` reads.

* Option values read as words (TEXT, N, PATH, table|json), the way click-based CLIs
  have always shown them, not as Python types (``<str>``, ``<bool>``, ``<list[str]>``)
  as recent Typer versions print them. Typer builds its parameters itself, so the one
  place to say this is the parameter classes' ``display_type_rich``.
* A docstring's paragraphs reflow to the terminal's width: the line breaks of the
  source are not shown (recent Typer versions keep them after the first paragraph, so
  a sentence wrapped in the source broke in the middle of a help line). ``Example:``
  lines, indented lines and list items stay lines of their own, as written; a
  paragraph that starts with ``\\b`` (click's mark) is kept as written.

The tests of the help (tests/test_cli_help.py) fail if a Typer release moves either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

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


#: A line that keeps its own line in help: an example, an indented line, a list item.
_OWN_LINE = re.compile(r"(?:\s|Example:|(?:[-*\u2022]|\d+[.)])\s)")


def reflow_paragraph(text: str) -> str:
    """One help paragraph with the source's line breaks joined into spaces, except
    around lines that stand on their own (:data:`_OWN_LINE`); ``\\b`` first: as is."""
    if text.startswith("\b"):
        return text[1:].lstrip("\n")
    out: list[str] = []
    for line in text.split("\n"):
        if out and not _OWN_LINE.match(line) and not _OWN_LINE.match(out[-1]):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def reflow(paragraphs: list[str], markup_mode: Any = None) -> str:
    """The paragraphs after a help text's first, reflowed (Typer's ``_fix_linebreaks``)."""
    return "\n\n".join(reflow_paragraph(p) for p in paragraphs)


def _reflowing(format_help: Callable[..., None]) -> Callable[..., None]:
    """``format_help`` with Typer's paragraph joining replaced by :func:`reflow` (set
    when help is first shown: Typer loads its Rich help module only then)."""

    @functools.wraps(format_help)
    def wrapper(self: Any, ctx: Any, formatter: Any) -> None:
        from typer import rich_utils

        rich_utils._fix_linebreaks = reflow
        format_help(self, ctx, formatter)

    wrapper.__reflowing__ = True  # type: ignore[attr-defined]
    return wrapper


def install() -> None:
    """Make Typer's help show :func:`plain_type` for every option and argument,
    :func:`argument_name` for arguments, and reflow paragraphs (:func:`reflow`)."""
    TyperOption.display_type_rich = plain_type  # type: ignore[method-assign, assignment]
    TyperArgument.display_type_rich = plain_type  # type: ignore[method-assign, assignment]
    TyperArgument._usage_display_name = argument_name  # type: ignore[method-assign, assignment]
    TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign, assignment]
    for cls in (TyperCommand, TyperGroup):
        if not getattr(cls.format_help, "__reflowing__", False):
            cls.format_help = _reflowing(cls.format_help)  # type: ignore[method-assign]
