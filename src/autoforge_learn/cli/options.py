"""The options commands share, each declared once.

* :func:`uses_workspace` adds ``--root`` and ``--engine`` to a command and hands it a
  :class:`~autoforge_learn.workspace.Workspace` built from them (closed afterwards; an
  index refresh inside shows a progress bar on a terminal).
* :func:`uses_selection` adds the selection options (``--since``, ``--until``,
  ``--last``, ``--recipe``, ``--role``, ``--prompt-version``, ``--project``) and hands
  it a :class:`~autoforge_learn.selection.Selection`.
* :data:`FormatOption` is the ``--format`` option of commands that print data.

A decorated command declares ``ws`` and/or ``selection`` parameters; the decorators
replace them, in the signature Typer reads, by the options above.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    """How a command prints data."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="How to print the data: table (for people), json, jsonl or csv (for programs).",
        case_sensitive=False,
    ),
]

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="The .autoforge directory. Default: $AUTOFORGE_HOME, else the nearest "
        ".autoforge/ upwards, else ./.autoforge.",
        show_default=False,
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where the analytics index lives: duckdb (the default, a file in the store), "
        "duckdb:PATH, or postgresql://user@host/db[?schema=NAME] to share one with a team. "
        "Default: $AUTOFORGE_ENGINE.",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only events at or after this date or time (2025-10-01, 2025-10-01T12:00Z) or "
        "this long ago (12h, 7d, 4w). UTC.",
        show_default=False,
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Only events before this time; a date includes that whole day. UTC.",
        show_default=False,
    ),
]
LastOption = Annotated[
    int | None,
    typer.Option(
        "--last",
        min=1,
        help="Only the N projects that started most recently (after the other filters).",
        show_default=False,
    ),
]
RecipeOption = Annotated[
    str | None,
    typer.Option(
        "--recipe",
        help="Only projects of this recipe (web_app_v2) or recipe family (web_app).",
        show_default=False,
    ),
]
RoleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--role",
        help="Only this agent role's events (repeatable); project-wide events stay.",
        show_default=False,
    ),
]
VersionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--prompt-version",
        help="Only this prompt version's events for its role (repeatable), e.g. "
        "architect.v1.2.",
        show_default=False,
    ),
]
ProjectOption = Annotated[
    list[str] | None,
    typer.Option("--project", help="Only this project (repeatable).", show_default=False),
]

_WORKSPACE_PARAMS = (("root", RootOption), ("engine", EngineOption))
_SELECTION_PARAMS = (
    ("since", SinceOption),
    ("until", UntilOption),
    ("last", LastOption),
    ("recipe", RecipeOption),
    ("role", RoleOption),
    ("prompt_version", VersionOption),
    ("project", ProjectOption),
)


def _signature_without(
    func: Callable[..., Any], name: str, added: tuple[tuple[str, Any], ...]
) -> inspect.Signature:
    """``func``'s signature with the options ``added`` instead of the parameter ``name``
    (what Typer reads to build the command's options)."""
    signature = inspect.signature(func)
    if name not in signature.parameters:
        raise TypeError(f"{func.__name__} has no parameter {name!r} to fill")
    namespace = getattr(inspect.unwrap(func), "__globals__", {})
    kept = [
        p.replace(annotation=_evaluated(p.annotation, namespace))
        for p in signature.parameters.values()
        if p.name != name
    ]
    extra = [
        inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
        for key, kind in added
    ]
    return signature.replace(parameters=sorted(kept + extra, key=lambda p: p.kind))


def _evaluated(annotation: Any, namespace: dict[str, Any]) -> Any:
    """A string annotation evaluated in the command's module; one naming a type imported
    for type checking only (the workspace, the selection: filled by another decorator)
    stays a string."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)  # our own modules' annotations
    except NameError:
        return annotation


def _present(wrapper: Callable[..., Any], signature: inspect.Signature) -> None:
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}


def uses_selection(func: F) -> F:
    """Give the command a ``selection`` built from the selection options."""
    from autoforge_learn.selection import Selection

    signature = _signature_without(func, "selection", _SELECTION_PARAMS)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {key: kwargs.pop(key, None) for key, _ in _SELECTION_PARAMS}
        kwargs["selection"] = Selection.build(
            since=values["since"],
            until=values["until"],
            last_projects=values["last"],
            recipe=values["recipe"],
            roles=values["role"] or (),
            prompt_versions=values["prompt_version"] or (),
            project_ids=values["project"] or (),
        )
        ws = kwargs.get("ws")
        if ws is not None and not kwargs["selection"].is_everything:
            # before anything runs or is written: a selection of nothing is an error
            kwargs["selection"].require_matches(ws.events())
        return func(*args, **kwargs)

    _present(wrapper, signature)
    return wrapper  # type: ignore[return-value]


def uses_workspace(func: F) -> F:
    """Give the command a ``ws`` built from ``--root`` and ``--engine``, closed when the
    command ends; an index refresh inside shows a progress bar on a terminal."""
    from autoforge_learn.workspace import Workspace

    signature = _signature_without(func, "ws", _WORKSPACE_PARAMS)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from autoforge_learn.cli.common import index_progress, resolve_root

        root, engine = kwargs.pop("root", None), kwargs.pop("engine", None)
        with Workspace(resolve_root(root), engine=engine) as ws, index_progress() as bar:
            ws.progress = bar
            return func(*args, ws=ws, **kwargs)

    _present(wrapper, signature)
    return wrapper  # type: ignore[return-value]
