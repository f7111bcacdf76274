"""Export labels, manual reviews and aggregates (the derived data) as Parquet, CSV or JSONL.

Each derived table is a list of flat records: the labels (one row per labeled item),
``labeled/manual_reviews.jsonl`` (reviews are recorded, not derived) and the row lists
of the aggregates. Labels and aggregates are computed afresh from the index for the
export's selection, exactly as ``autoforge label`` / ``autoforge aggregate`` would
write them, so an export never shows a stale file. Nested values (lists, objects)
become JSON text in Parquet and CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            value = orjson.loads(line)
            if isinstance(value, dict):
                rows.append(value)
    return rows


Table = Callable[["Workspace", "Selection"], list[dict[str, Any]]]


def _labels(name: str) -> Table:
    def compute(ws: Workspace, selection: Selection) -> list[dict[str, Any]]:
        from autoforge_learn.label.run import label_events

        return label_events(ws, selection).records(name)

    return compute


def _reviews(ws: Workspace, selection: Selection) -> list[dict[str, Any]]:
    path = ws.layout.labeled / "manual_reviews.jsonl"
    return _jsonl_rows(path) if path.exists() else []


def _aggregate(name: str, key: str) -> Table:
    def compute(ws: Workspace, selection: Selection) -> list[dict[str, Any]]:
        from autoforge_learn.aggregate import aggregate

        rows = aggregate(ws, selection, write=False).content[name][key]
        return [r for r in rows if isinstance(r, dict)]

    return compute


#: What ``--what`` can name besides ``raw``, and how each table is computed: always
#: from the current index under the export's selection, never from a file that may be
#: older than the data.
DERIVED: dict[str, Table] = {
    "gate_labels": _labels("gates"),
    "decision_labels": _labels("decisions"),
    "output_labels": _labels("outputs"),
    "prompt_labels": _labels("prompts"),
    "manual_reviews": _reviews,
    "role_performance": _aggregate("agent_performance_by_role", "roles"),
    "recipe_success": _aggregate("recipe_success_rates", "recipes"),
    "prompt_versions": _aggregate("prompt_version_metrics", "versions"),
    "monthly_trends": _aggregate("trend_analysis", "months"),
}


def _flat(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def write_records(rows: list[dict[str, Any]], out: Path, fmt: str) -> list[str]:
    """Write records to ``out`` atomically; returns the column names."""
    from autoforge_learn.store.atomic import replacing

    columns = list(dict.fromkeys(k for row in rows for k in row))
    with replacing(out) as tmp:
        if fmt == "jsonl":
            with open(tmp, "wb") as handle:
                for row in rows:
                    handle.write(orjson.dumps(row) + b"\n")
        elif fmt == "csv":
            with open(tmp, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows({k: _flat(v) for k, v in row.items()} for row in rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            flat = [{c: _flat(row.get(c)) for c in columns} for row in rows]
            table = pa.Table.from_pylist(flat) if flat else pa.table({})
            pq.write_table(table, tmp)
    return columns
