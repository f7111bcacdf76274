"""Export the store's raw events to Parquet, CSV or JSONL.

One row per event. JSONL holds each event in its canonical form (as the collector
writes it), so exporting then ``autoforge organize``-ing the file into another store
gives the same events. Parquet and CSV are flat: the envelope (``event_id``,
``schema_version``, ``kind``, ``project_id``, ``timestamp``), then every field of the
models of the kinds exported, then the extra fields the events carry (sorted by name);
lists, objects and nested models are JSON text. Parquet columns are typed (timestamps
in UTC, integers, floats, booleans); a value missing from an event is null.

What is exported is chosen by ``what``: only ``raw`` (the events) exists today;
``labels`` and ``aggregates`` will be added beside it with the same signature.
"""

from __future__ import annotations

import csv
import types
import typing
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import AwareDatetime, BaseModel

from autoforge_learn.errors import UsageError
from autoforge_learn.export.formats import ExportFormat, ExportWhat
from autoforge_learn.schema.events import EVENT_MODELS, EventBase, EventKind, format_timestamp
from autoforge_learn.store.atomic import replacing
from autoforge_learn.store.reader import LineProblem, RawReader

if TYPE_CHECKING:
    from autoforge_learn.selection import ResolvedSelection, Selection
    from autoforge_learn.workspace import Workspace

ENVELOPE = ("event_id", "schema_version", "kind", "project_id", "timestamp")


@dataclass
class ExportReport:
    """What an export wrote.

    Attributes:
        out: The file written.
        fmt: Its format.
        what: What was exported (``raw``).
        events: Rows written (one per event).
        kinds: Rows per kind.
        columns: The columns (parquet/csv) or None (jsonl).
        skipped_invalid: Store lines left out because they are not valid events (or reuse
            an event_id for different content).
        skipped_duplicates: Exact repeats of an earlier event (same id, same content).
        problems: The invalid lines, as ``file:line: field: message``.
    """

    out: Path
    fmt: ExportFormat
    what: ExportWhat = ExportWhat.raw
    events: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    columns: list[str] | None = None
    skipped_invalid: int = 0
    skipped_duplicates: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "format": self.fmt.value,
            "what": self.what.value,
            "events": self.events,
            "kinds": dict(sorted(self.kinds.items())),
            "columns": self.columns,
            "skipped_invalid": self.skipped_invalid,
            "skipped_duplicates": self.skipped_duplicates,
            "problems": [p.to_dict() for p in self.problems[:100]],
        }


def format_for(out: Path) -> ExportFormat:
    """The format named by a file's extension (``.parquet``, ``.csv``, ``.jsonl``).

    Raises:
        ValueError: If the extension names no format.
    """
    suffix = out.suffix.lower().lstrip(".")
    aliases = {"pq": "parquet", "ndjson": "jsonl"}
    try:
        return ExportFormat(aliases.get(suffix, suffix))
    except ValueError:
        raise UsageError(
            f"{out}: cannot tell the format from the extension; use --format parquet|csv|jsonl"
        ) from None


def _kinds(kinds: Iterable[str] | None) -> set[str] | None:
    if kinds is None:
        return None
    wanted = {str(k) for k in kinds}
    unknown = sorted(wanted - set(EVENT_MODELS))
    if unknown:
        expected = ", ".join(sorted(EVENT_MODELS))
        raise UsageError(f"unknown kind(s) {', '.join(unknown)}; expected one of {expected}")
    return wanted or None


def read_events(
    root: Path, *, kinds: set[str] | None = None, chosen: ResolvedSelection | None = None
) -> tuple[list[EventBase], ExportReport]:
    """The store's raw events to export, oldest first, and what reading them found.

    Reading is :class:`~autoforge_learn.store.reader.RawReader`'s (the first line of each
    event_id; torn, invalid and conflicting lines reported); this picks the events asked
    for. Duplicates and problems count over the whole store, whatever is picked.

    Args:
        root: The ``.autoforge`` directory.
        kinds: Only events of these kinds (default: all).
        chosen: Only the events of this selection (default: all).
    """
    reader = RawReader.of_store(root)
    events = [
        event
        for event in reader.events()
        if (kinds is None or event.kind in kinds) and (chosen is None or chosen.matches(event))
    ]
    events.sort(key=lambda e: (e.timestamp, e.project_id, e.event_id))
    summary = reader.summary
    report = ExportReport(
        out=Path(),
        fmt=ExportFormat.jsonl,
        skipped_invalid=summary.invalid_lines,
        skipped_duplicates=summary.duplicates,
        problems=summary.problems,
    )
    return events, report


# -- flattening ---------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """The type inside ``X | None`` and ``Annotated[X, ...]``; ``object`` for real unions."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else object
    return annotation


def _column_type(annotation: Any) -> str:
    """One of ``string``, ``int``, ``float``, ``bool``, ``timestamp``, ``json``."""
    kind = _unwrap(annotation)
    if typing.get_origin(kind) is typing.Literal:
        values = typing.get_args(kind)
        if all(isinstance(v, bool) for v in values):
            return "bool"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int"
        return "string"
    if isinstance(kind, type):
        if issubclass(kind, bool):
            return "bool"
        if issubclass(kind, Enum) or issubclass(kind, str):
            return "string"
        if issubclass(kind, int):
            return "int"
        if issubclass(kind, float):
            return "float"
        if issubclass(kind, datetime | AwareDatetime):
            return "timestamp"
    return "json"


def _value_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "string"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "float"
    if all(isinstance(v, str) for v in present):
        return "string"
    return "json"


def _fits(value: Any, col_type: str) -> bool:
    found = _value_type([value])
    return found == col_type or (found, col_type) in {("int", "float"), ("string", "json")}


def columns_for(events: Sequence[EventBase]) -> dict[str, str]:
    """Column name -> column type, in order: envelope, model fields, extra fields."""
    columns = {name: _column_type(EventBase.model_fields[name].annotation) for name in ENVELOPE}
    columns["kind"] = "string"
    for kind in EventKind:
        if not any(e.kind == kind for e in events):
            continue
        for name, info in EVENT_MODELS[kind].model_fields.items():
            col = _column_type(info.annotation)
            if name in columns and columns[name] != col:
                columns[name] = "json" if "json" in (col, columns[name]) else "string"
            columns.setdefault(name, col)
    extras: dict[str, list[Any]] = {}
    for event in events:
        for name, value in (event.model_extra or {}).items():
            if name not in columns:
                extras.setdefault(name, []).append(value)
            elif value is not None and not _fits(value, columns[name]):
                columns[name] = "json"  # an extra field that clashes with a model field
    for name in sorted(extras):
        columns[name] = _value_type(extras[name])
    return columns


def _cell(value: Any, col_type: str) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    if col_type == "json" or isinstance(value, list | dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, Enum):
        return value.value
    if col_type == "float" and isinstance(value, int):
        return float(value)
    if col_type == "string" and not isinstance(value, str):
        return str(value)
    return value


def flatten(events: Sequence[EventBase], columns: dict[str, str]) -> list[dict[str, Any]]:
    """One flat row per event: every column, None where the event has no value."""
    rows = []
    for event in events:
        data = {name: getattr(event, name, None) for name in type(event).model_fields}
        data.update(event.model_extra or {})
        rows.append({name: _cell(data.get(name), t) for name, t in columns.items()})
    return rows


# -- writers -------------------------------------------------------------------------------


def _write_jsonl(events: Sequence[EventBase], tmp: Path) -> None:
    with open(tmp, "wb") as handle:
        for event in events:
            handle.write(event.__pydantic_serializer__.to_json(event, exclude_none=True) + b"\n")


def _write_csv(rows: list[dict[str, Any]], columns: dict[str, str], tmp: Path) -> None:
    def text(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return format_timestamp(value)
        return value

    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: text(v) for k, v in row.items()})


def _write_parquet(rows: list[dict[str, Any]], columns: dict[str, str], tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types_ = {
        "string": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    schema = pa.schema([pa.field(name, types_[t]) for name, t in columns.items()])
    arrays = [pa.array([row[name] for row in rows], type=types_[t]) for name, t in columns.items()]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), tmp)


def export_events(
    ws: Workspace,
    out: Path | str,
    *,
    fmt: ExportFormat | str | None = None,
    kinds: Iterable[str] | None = None,
    selection: Selection | None = None,
    what: ExportWhat | str = ExportWhat.raw,
) -> ExportReport:
    """Export the selected events (or one derived table) to one file.

    Args:
        ws: The workspace.
        out: The file to write (replaced atomically; parent folders are created).
        fmt: ``parquet``, ``csv`` or ``jsonl``; default: from the file's extension.
        kinds: Only these kinds of event (default: all; raw events only).
        selection: Which events (default: all); raw events are read from the raw files
            and filtered by the same rules as the index.
        what: ``raw`` (the events), or a derived table: ``gate_labels``,
            ``decision_labels``, ``output_labels``, ``prompt_labels``,
            ``manual_reviews``, ``role_performance``, ``recipe_success``,
            ``prompt_versions``, ``monthly_trends`` (computed afresh for the selection).

    Returns:
        What was written; invalid store lines are skipped and listed in ``problems``.

    Raises:
        UsageError: For an unknown format, kind or ``what``.
    """
    from autoforge_learn.selection import Selection

    out = Path(out)
    fmt = ExportFormat(fmt) if fmt is not None else format_for(out)
    what = ExportWhat(what)
    selection = selection or Selection()
    if what != ExportWhat.raw:
        return _export_derived(ws, out, fmt=fmt, what=what, kinds=kinds, selection=selection)
    wanted = _kinds(kinds)
    chosen = None if selection.is_everything else ws.resolve(selection)
    events, report = read_events(ws.root, kinds=wanted, chosen=chosen)
    report.out, report.fmt, report.what = out, fmt, what
    report.events = len(events)
    report.kinds = Counter(str(e.kind) for e in events)
    with replacing(out) as tmp:
        if fmt == ExportFormat.jsonl:
            _write_jsonl(events, tmp)
        else:
            columns = columns_for(events)
            rows = flatten(events, columns)
            report.columns = list(columns)
            if fmt == ExportFormat.csv:
                _write_csv(rows, columns, tmp)
            else:
                _write_parquet(rows, columns, tmp)
    return report


def _export_derived(
    ws: Workspace,
    out: Path,
    *,
    fmt: ExportFormat,
    what: ExportWhat,
    kinds: Iterable[str] | None,
    selection: Selection,
) -> ExportReport:
    from autoforge_learn.export.derived import DERIVED, write_records

    if kinds:
        raise UsageError(f"--kind selects raw events; it does not apply to {what}")
    rows = DERIVED[what.value](ws, selection)
    report = ExportReport(out=out, fmt=fmt, what=what, events=len(rows))
    report.kinds = Counter({what.value: len(rows)})
    report.columns = write_records(rows, out, fmt.value)
    return report
