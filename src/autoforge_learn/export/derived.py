"""Export labels, manual reviews and aggregates (the derived data) as Parquet, CSV or JSONL.

Each derived table is a list of flat records: the label files of ``labeled/`` (one row
per labeled item), ``labeled/manual_reviews.jsonl`` and the row lists of the
``aggregated/`` files. A table that has not been computed yet is computed first
(``autoforge label`` / ``autoforge aggregate``), so an export always reflects the data.
Nested values (lists, objects) become JSON text in Parquet and CSV.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.store.layout import StoreLayout


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            value = orjson.loads(line)
            if isinstance(value, dict):
                rows.append(value)
    return rows


def _labels(name: str) -> Callable[[Path, str | None], list[dict[str, Any]]]:
    def read(root: Path, engine: str | None) -> list[dict[str, Any]]:
        from autoforge_learn.label.run import FILES, label_store

        path = StoreLayout(root).labeled / FILES[name]
        if not path.exists():
            label_store(root, engine=engine)
        return _jsonl_rows(path)

    return read


def _reviews(root: Path, engine: str | None) -> list[dict[str, Any]]:
    path = StoreLayout(root).labeled / "manual_reviews.jsonl"
    return _jsonl_rows(path) if path.exists() else []


def _aggregate(name: str, key: str) -> Callable[[Path, str | None], list[dict[str, Any]]]:
    def read(root: Path, engine: str | None) -> list[dict[str, Any]]:
        from autoforge_learn.aggregate import aggregate

        path = StoreLayout(root).aggregated / f"{name}.json"
        if not path.exists():
            aggregate(root, engine=engine)
        rows = orjson.loads(path.read_bytes()).get(key, [])
        return [r for r in rows if isinstance(r, dict)]

    return read


#: What ``--what`` can name besides ``raw``, and how each table is read.
DERIVED: dict[str, Callable[[Path, str | None], list[dict[str, Any]]]] = {
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
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
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
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return columns
