"""Where the detectors read events: the one adapter over the analytics index.

Everything the pattern detectors (and labels) need from :mod:`autoforge_learn.analyze`
goes through this module, so a change there is a change here only:

* :func:`events_table` refreshes the index (unless told not to) and returns the ibis
  ``events`` table on the chosen engine (DuckDB file or PostgreSQL).
* :func:`field` reads a field: its typed column when there is one, else the key of the
  JSON column ``extra``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def events_table(root: Path | str, engine: str | None = None, *, refresh: bool = True) -> Any:
    """The ibis ``events`` table of ``root`` on ``engine``, with ``extra`` usable.

    Args:
        root: The ``.autoforge`` directory.
        engine: None or ``duckdb`` for the embedded index, or a PostgreSQL URL.
        refresh: Refresh the index from the raw files first.
    """
    from autoforge_learn.analyze.engine import connect
    from autoforge_learn.analyze.ingest import build_index

    root = Path(root)
    if refresh:
        build_index(root, engine=engine)
    return connect(root, engine).table("events")


def field(t: Any, name: str, type: str = "str") -> Any:
    """An ibis expression for field ``name`` of each event (``str``, ``int``, ``float``,
    ``bool`` or ``json``): the typed column when there is one, else ``extra[name]``."""
    if name in t.columns:
        column = t[name]
        return column
    value = t.extra[name]
    if type == "str":
        return value.str
    if type == "int":
        return value.int
    if type == "float":
        return value.float
    if type == "bool":
        return value.bool
    if type == "json":
        return value
    raise ValueError(f"unknown field type {type!r}")
