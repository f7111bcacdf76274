"""Reading a field of the events table: its typed column, else its key in ``extra``."""

from __future__ import annotations

from typing import Any

_ACCESSORS = {"str": "str", "int": "int", "float": "float", "bool": "bool"}


def field(t: Any, name: str, type: str = "str") -> Any:
    """An ibis expression for field ``name`` of each event (``str``, ``int``, ``float``,
    ``bool`` or ``json``): the typed column when there is one, else ``extra[name]``.

    Raises:
        ValueError: If ``type`` is none of those (a programming error).
    """
    if name in t.columns:
        return t[name]
    value = t.extra[name]
    if type == "json":
        return value
    if type not in _ACCESSORS:
        raise ValueError(f"unknown field type {type!r}")
    return getattr(value, _ACCESSORS[type])
