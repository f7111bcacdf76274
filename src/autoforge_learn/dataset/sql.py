"""Read-only SQL over the index: ``autoforge query "SELECT ..."``.

The index's ``events`` table (one row per valid event, the columns of
:data:`autoforge_learn.analyze.columns.EVENT_COLUMNS`) is there for ad-hoc questions,
as sqlite-utils and datasette offer their tables. Nothing a query does can change the
index: on DuckDB it runs on a connection opened read-only, on PostgreSQL inside a
read-only transaction that is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import UsageError

if TYPE_CHECKING:
    from autoforge_learn.workspace import Workspace

#: Rows returned unless the caller asks for more (a query can match millions).
DEFAULT_LIMIT = 10_000


@dataclass
class QueryResult:
    """The answer to one query: column names and rows (at most ``limit``)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts, values made JSON-ready (times as ISO text)."""
        return [{c: _plain(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows]


def run_query(ws: Workspace, sql: str, *, limit: int = DEFAULT_LIMIT) -> QueryResult:
    """Run one read-only statement over the (refreshed) index.

    Raises:
        UsageError: If the statement fails or tries to write (the engine's message).
    """
    if not sql.strip():
        raise UsageError("give a SQL statement, e.g. SELECT kind, count(*) FROM events GROUP BY 1")
    ws.ensure_fresh()
    if ws.engine.kind == "duckdb":
        return _duckdb(ws, sql, limit)
    return _postgres(ws, sql, limit)


def _duckdb(ws: Workspace, sql: str, limit: int) -> QueryResult:
    import duckdb

    ws.close()  # one process may not hold the file read-write and read-only at once
    con = duckdb.connect(ws.engine.target, read_only=True)
    try:
        cursor = con.execute(sql)
        return _fetch(cursor, limit)
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {exc}") from None
    finally:
        con.close()


def _postgres(ws: Workspace, sql: str, limit: int) -> QueryResult:
    import psycopg

    con = ws.connection()
    try:
        with con.transaction(force_rollback=True):
            con.execute("SET TRANSACTION READ ONLY")
            cursor = con.execute(sql)
            return _fetch(cursor, limit)
    except psycopg.Error as exc:
        raise UsageError(f"query failed: {exc}") from None


def _fetch(cursor: Any, limit: int) -> QueryResult:
    if cursor.description is None:
        return QueryResult(columns=[], rows=[], notes=["the statement returned no rows"])
    columns = [d[0] for d in cursor.description]
    rows = [tuple(r) for r in cursor.fetchmany(limit + 1)]
    truncated = len(rows) > limit
    notes = [f"only the first {limit:,} rows (--limit)"] if truncated else []
    return QueryResult(columns=columns, rows=rows[:limit], truncated=truncated, notes=notes)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is not None and not isinstance(value, str | int | float | bool | list | dict):
        return str(value)  # Decimal, UUID, intervals
    return value
