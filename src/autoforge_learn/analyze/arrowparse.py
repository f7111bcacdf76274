"""The strict fast parse of a batch of lines: Arrow's JSON reader, then DuckDB SQL.

The SQL reader of :mod:`.sqlparse` parses each line twice (once into typed keys, once
more for the JSON type of each key, because DuckDB converts loosely: ``5`` into the
text ``'5'``, ``3.7`` into ``4``). Arrow's reader parses each line once, on every core,
and converts nothing: a key whose JSON type is not exactly its column's fails the
whole batch. Measured on 1M flat gate lines this halves the parse.

A batch it does not take (a wrong type anywhere, a duplicate key, a line that is not
one JSON object, a blank line) is parsed by the SQL reader instead, which finds the
files that need the exact per-line parser.

Rows line up with lines because every line must start with ``{`` and end with ``}``:
Arrow could otherwise read two objects from one line or one object from two lines.
Given that, a line holding more than one object gives more rows than lines, and an
object cannot continue onto the next line (after a ``}`` inside an object, JSON allows
only ``,``, ``]`` or ``}``, never the ``{`` that opens the next line), so equal counts
mean one row per line, in order.
"""

from __future__ import annotations

import functools
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from autoforge_learn.analyze.columns import GROUP_KINDS, KINDS
from autoforge_learn.analyze.sqlparse import DERIVED_ID, key_types

#: Arrow types of the column types keys are read as.
_ARROW_OF_SQL = {"VARCHAR": "string", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}


def _arrow_of_annotation(annotation: Any) -> str | None:
    """The Arrow type (by name) a model field's JSON value must have, or None if the
    field may hold values of several JSON types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _arrow_of_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        found = {_arrow_of_annotation(a) for a in members}
        return found.pop() if len(found) == 1 else None
    if origin is typing.Literal:
        kinds = {type(v) for v in typing.get_args(annotation)}
        if kinds == {int}:
            return "int64"
        return "string" if kinds == {str} else None
    if origin is list:
        (item,) = typing.get_args(annotation) or (None,)
        return "list<string>" if item is str else None
    if isinstance(annotation, type):
        if annotation.__module__ == "pydantic.types" and annotation.__name__.endswith("Datetime"):
            return "string"  # AwareDatetime and its kin: ISO 8601 text
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, Enum) and issubclass(annotation, str):
            return "string"
        if issubclass(annotation, str | datetime):
            return "string"
        if issubclass(annotation, int):
            return "int64"
        if issubclass(annotation, float):
            return "float64"
    return None


@functools.cache
def arrow_types(group: str) -> dict[str, str] | None:
    """Each key read for ``group``, with the Arrow type its values must have; None if
    some kept key may take values of several JSON types (the group is then parsed by
    the SQL reader only)."""
    from autoforge_learn.schema.events import EVENT_MODELS

    kinds = KINDS if group == "all" else GROUP_KINDS[group]
    out: dict[str, str] = {}
    for key, sql_type in key_types(group).items():
        if sql_type != "JSON":
            out[key] = _ARROW_OF_SQL[sql_type]
            continue
        found = {
            _arrow_of_annotation(EVENT_MODELS[kind].model_fields[key].annotation)
            for kind in kinds
            if key in EVENT_MODELS[kind].model_fields
        }
        if not found:  # a key of the spec's flat example: text, as its example shows
            found = {"string"}
        arrow_type = found.pop() if len(found) == 1 else None
        if arrow_type is None:
            return None
        out[key] = arrow_type
    return out


def _schema(group: str) -> Any:
    import pyarrow as pa

    named = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
    }
    wanted = arrow_types(group)
    assert wanted is not None
    return pa.schema([(key, named[t]) for key, t in wanted.items()])


def _lines_are_objects(text: bytes, ends: Any) -> bool:
    """Whether every line (ending at the newline positions ``ends``) starts with ``{``
    and ends with ``}``."""
    import numpy as np

    if len(ends) == 0:
        return False
    view = np.frombuffer(text, dtype=np.uint8)
    starts = np.empty(len(ends), dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    if np.any(starts >= ends):  # a blank line
        return False
    return bool(np.all(view[starts] == ord("{")) and np.all(view[ends - 1] == ord("}")))


def parse_lines(group: str, text: bytes, ends: Any, table: Any) -> Any | None:
    """Parse a batch's text strictly; None if the SQL reader must take the batch.

    Args:
        group: The batch's file group.
        text: The files' bytes, joined (every line terminated).
        ends: The positions of ``text``'s newlines.
        table: The batch's table of ``fid`` and ``line`` (one row per line, in order).

    Returns:
        A table of the group's keys, typed, with ``fid`` and ``line`` appended.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    if arrow_types(group) is None or not _lines_are_objects(text, ends):
        return None
    options = pj.ParseOptions(
        explicit_schema=_schema(group),
        unexpected_field_behavior="ignore",
        newlines_in_values=False,
    )
    try:
        parsed = pj.read_json(pa.BufferReader(text), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None  # a type, key or line the SQL reader (then the exact parser) judges
    if parsed.num_rows != table.num_rows:
        return None
    parsed = parsed.combine_chunks()
    for name in ("fid", "line"):
        parsed = parsed.append_column(name, table.column(name).combine_chunks())
    return parsed


def source_sql(group: str, parsed: str) -> str:
    """The rows parsed into the table ``parsed``, shaped like
    :func:`autoforge_learn.analyze.sqlparse.read_source`'s (the keys read as JSON are
    turned back into JSON text).

    A line without an ``event_id`` key gets the MD5-derived id, unless its text holds
    ``"event_id"`` (inside some value): it is then left out, so that its file is read
    line by line, as the SQL reader does.
    """
    columns = []
    for key, sql_type in key_types(group).items():
        name = '"' + key + '"'
        columns.append(f"CAST(to_json({name}) AS JSON) AS {name}" if sql_type == "JSON" else name)
    return (
        f"(SELECT {', '.join(columns)}, fid, CASE WHEN event_id IS NULL "
        f"THEN 'd-' || md5(line) END AS {DERIVED_ID} FROM {parsed} "
        "WHERE event_id IS NOT NULL OR NOT contains(line, '\"event_id\"'))"
    )
