"""Where the index lives: the events table and the indexer's bookkeeping tables, on
DuckDB (the file under ``.autoforge/``) or PostgreSQL (loaded with COPY, in
:mod:`.pgstore`).

Tables: ``events`` (the normalized events), ``af_files`` (per raw file: size, mtime,
offset and line count read, head and tail hashes), ``af_issues`` (lines left out, with
the reason), ``af_dupes`` (copies of an event_id that were not counted) and ``af_meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.analyze.columns import EVENT_COLUMNS
from autoforge_learn.analyze.engine import EngineSpec

if TYPE_CHECKING:
    from autoforge_learn.analyze.conflicts import Copies
    from autoforge_learn.analyze.report import Issue

#: Bumped when the events table changes shape; an older index is rebuilt.
INDEX_VERSION = "3"

#: The PostgreSQL type of each SQL type of the events table.
PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "JSON": "jsonb",
}
#: The events table's columns, quoted, in order (for INSERT and COPY column lists).
COLS = ", ".join(f'"{n}"' for n in EVENT_COLUMNS)


class IndexStore:
    """Index tables on one engine, through a DB-API connection."""

    pg = False

    def __init__(self, con: Any) -> None:
        self.con = con

    # -- helpers ----------------------------------------------------------------------

    def _exec(self, sql: str, params: Any = None) -> Any:
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def _type(self, sql_type: str) -> str:
        return PG_TYPES[sql_type] if self.pg else sql_type

    def _param(self) -> str:
        return "%s" if self.pg else "?"

    def _current_version(self) -> str | None:
        table = "af_meta"
        if self.pg:
            found = self._exec("SELECT to_regclass('af_meta')").fetchone()[0]
        else:
            found = self._exec(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
                "AND database_name = current_database() AND schema_name = current_schema()",
                [table],
            ).fetchone()[0]
        if not found:
            return None
        row = self._exec("SELECT value FROM af_meta WHERE key = 'version'").fetchone()
        return None if row is None else str(row[0])

    def _create(self, rebuild: bool) -> None:
        if not rebuild and self._current_version() == INDEX_VERSION:
            return  # nothing to write on the warm path
        self._exec("CREATE TABLE IF NOT EXISTS af_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = self._exec("SELECT value FROM af_meta WHERE key = 'version'").fetchone()
        if rebuild or (row is not None and row[0] != INDEX_VERSION):
            for table in ("events", "af_files", "af_issues", "af_dupes", "af_sqlcache"):
                self._exec(f"DROP TABLE IF EXISTS {table}")
        cols = ", ".join(f'"{n}" {self._type(t)}' for n, t in EVENT_COLUMNS.items())
        pk = ", PRIMARY KEY (event_id)" if self.pg else ""
        self._exec(f"CREATE TABLE IF NOT EXISTS events ({cols}{pk})")
        self._exec(
            "CREATE TABLE IF NOT EXISTS af_files (path VARCHAR PRIMARY KEY, size BIGINT, "
            'mtime_ns BIGINT, "offset" BIGINT, lineno BIGINT, head_hash VARCHAR, '
            "tail_hash VARCHAR)"
        )
        self._exec(
            "CREATE TABLE IF NOT EXISTS af_issues (path VARCHAR, line BIGINT, reason VARCHAR)"
        )
        self._exec("CREATE TABLE IF NOT EXISTS af_dupes (event_id VARCHAR, path VARCHAR)")
        self._exec("CREATE TABLE IF NOT EXISTS af_sqlcache (key VARCHAR PRIMARY KEY, sql VARCHAR)")
        self._exec("DELETE FROM af_meta WHERE key = 'version'")
        self._exec(f"INSERT INTO af_meta VALUES ('version', {self._param()})", [INDEX_VERSION])

    # -- reads ------------------------------------------------------------------------

    def load_state(self) -> list[tuple[Any, ...]]:
        return list(
            self._exec(
                'SELECT path, size, mtime_ns, "offset", lineno, head_hash, tail_hash FROM af_files'
            ).fetchall()
        )

    def counts_and_issues(self, raw_dir: Path) -> tuple[int, list[Issue]]:
        from autoforge_learn.analyze.report import Issue

        row = self._exec("SELECT count(*) FROM events").fetchone()
        rows = self._exec("SELECT path, line, reason FROM af_issues ORDER BY path, line").fetchall()
        return int(row[0] if row else 0), [Issue(str(raw_dir / p), int(n), r) for p, n, r in rows]

    def expand_reload(self, rels: list[str]) -> list[str]:
        """``rels`` plus the files holding uncounted copies of events in them."""
        out = list(dict.fromkeys(rels))
        if not out:
            return out
        marks = ", ".join(self._param() for _ in out)
        rows = self._exec(
            f"SELECT DISTINCT d.path FROM af_dupes d JOIN events e ON e.event_id = d.event_id "
            f"WHERE e.source_file IN ({marks})",
            out,
        ).fetchall()
        return list(dict.fromkeys(out + [r[0] for r in rows]))

    def parser(self) -> Any:
        """The DuckDB connection raw files are parsed with."""
        return self.con

    # -- writes -----------------------------------------------------------------------

    def prepare_direct(self, *, has_state: bool) -> bool:
        """Whether this refresh may load straight into the events table: DuckDB, and no
        file has been recorded yet (left-overs of an interrupted first build are cleared)."""
        if self.pg or has_state:
            return False
        for table in ("events", "af_dupes", "af_issues"):
            self._exec(f"DELETE FROM {table}")
        return True

    def abort_load(self, direct: bool) -> None:
        """Undo a failed refresh's direct load (a staged load is simply dropped)."""
        if direct:
            try:
                self._exec("DELETE FROM events")
            except Exception:  # pragma: no cover - best effort
                pass

    def _in(self, column: str, values: list[str]) -> tuple[str, list[Any]]:
        if self.pg:
            return f"{column} = ANY(%s)", [values]
        return f"{column} IN (SELECT unnest(?))", [values]

    def _delete_in(self, table: str, column: str, values: list[str]) -> None:
        if values:
            cond, params = self._in(column, values)
            self._exec(f"DELETE FROM {table} WHERE {cond}", params)

    def _insert_rows(self, table: str, types: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = [list(c) for c in zip(*rows, strict=True)]
        if self.pg:
            arrays = ", ".join(f"%s::{PG_TYPES[t]}[]" for t in types)
            self._exec(f"INSERT INTO {table} SELECT * FROM unnest({arrays})", columns)
        elif len(rows) < 10_000:  # a refresh after appends: no pyarrow import
            lists = ", ".join(f"unnest(?::{t}[])" for t in types)
            self._exec(f"INSERT INTO {table} SELECT {lists}", columns)
        else:  # an Arrow table: much faster than list parameters on 100,000s of rows
            import pyarrow as pa

            arrow = {"VARCHAR": pa.string(), "BIGINT": pa.int64()}
            rows_table = pa.table(
                {
                    f"c{i}": pa.array(c, arrow[t])
                    for i, (c, t) in enumerate(zip(columns, types, strict=True))
                }
            )
            self.con.register("af_insert_rows", rows_table)
            try:
                self._exec(f"INSERT INTO {table} SELECT * FROM af_insert_rows")
            finally:
                self.con.unregister("af_insert_rows")

    def commit(
        self,
        duck: Any,
        *,
        raw_dir: Path,
        direct: bool,
        drop_files: list[str],
        states: list[tuple[Any, ...]],
        issues: list[tuple[str, int, str]],
        cleared: list[str],
        reread: list[tuple[str, int]],
    ) -> tuple[int, int]:
        """Finish one refresh atomically. Returns (events added, duplicates skipped).

        Copies of an event id holding a different event are recorded as issues on their
        lines (see :mod:`.conflicts`), as ``validate`` reports them.
        """
        try:
            self._open_commit()
            self._delete_in("events", "source_file", drop_files)
            self._delete_in("af_dupes", "path", drop_files)
            self._delete_in("af_files", "path", drop_files)
            self._delete_in("af_issues", "path", sorted(set(drop_files) | set(cleared)))
            p = self._param()
            for rel, first in reread:  # lines read again (after a torn line) are judged anew
                self._exec(f"DELETE FROM af_issues WHERE path = {p} AND line >= {p}", [rel, first])
            if direct:
                added, dupes, copies = self._dedupe_in_place()
            else:
                added, dupes, copies = self._insert_staged(self._load_stage(duck))
            if copies:
                issues = issues + self._new_conflicts(raw_dir, copies, issues)
            self._delete_in("af_files", "path", [row[0] for row in states])
            self._insert_rows(
                "af_files",
                ("VARCHAR", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "VARCHAR", "VARCHAR"),
                states,
            )
            self._insert_rows("af_issues", ("VARCHAR", "BIGINT", "VARCHAR"), issues)
            self._exec("COMMIT")
        except BaseException:
            self._exec("ROLLBACK")
            raise
        return added, dupes

    def _open_commit(self) -> None:
        self._exec("BEGIN TRANSACTION")

    def _new_conflicts(
        self, raw_dir: Path, copies: list[Copies], pending: list[tuple[str, int, str]]
    ) -> list[tuple[str, int, str]]:
        """Conflicting copies not recorded yet (an earlier refresh may have found some)."""
        from autoforge_learn.analyze.conflicts import conflicting_lines

        found = conflicting_lines(raw_dir, copies)
        if not found:
            return []
        paths = sorted({rel for rel, _line, _reason in found})
        cond, params = self._in("path", paths)
        known = {
            (str(r), int(n), str(m))
            for r, n, m in self._exec(
                f"SELECT path, line, reason FROM af_issues WHERE {cond}", params
            ).fetchall()
        } | set(pending)
        return [issue for issue in found if issue not in known]

    def _copies(self, query: str) -> list[Copies]:
        """Group ``(event_id, source_file)`` rows into :class:`Copies`."""
        from autoforge_learn.analyze.conflicts import Copies

        files: dict[str, set[str]] = {}
        for event_id, rel in self._exec(query).fetchall():
            files.setdefault(str(event_id), set()).add(str(rel))
        return [Copies(i, tuple(sorted(f))) for i, f in files.items()]

    def _dedupe_in_place(self) -> tuple[int, int, list[Copies]]:
        """After a direct load: keep the first copy of each event_id (by file, then by
        position). Only the duplicated ids are looked at, so memory stays small."""
        total, distinct = self._exec(
            "SELECT count(*), count(DISTINCT event_id) FROM events"
        ).fetchone()
        if total == distinct:
            return int(total), 0, []
        self._exec(
            "CREATE OR REPLACE TEMP TABLE af_copies AS SELECT rowid AS rid, event_id, "
            "source_file, row_number() OVER (PARTITION BY event_id ORDER BY source_file, rowid) "
            "AS k, first_value(source_file) OVER (PARTITION BY event_id ORDER BY source_file, "
            "rowid) AS kept_file FROM events WHERE event_id IN "
            "(SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1)"
        )
        copies = self._copies("SELECT DISTINCT event_id, source_file FROM af_copies")
        self._exec(
            "INSERT INTO af_dupes SELECT event_id, source_file FROM af_copies "
            "WHERE k > 1 AND source_file <> kept_file"
        )
        self._exec("DELETE FROM events WHERE rowid IN (SELECT rid FROM af_copies WHERE k > 1)")
        self._exec("DROP TABLE af_copies")
        return int(distinct), int(total - distinct), copies

    #: The column giving a staged row's position (its line's order within a file).
    _position = "rowid"

    def _insert_staged(self, stage: str) -> tuple[int, int, list[Copies]]:
        """Add the staged rows to the events table, the first copy of each id counting.

        Only the ids seen twice (in the stage, or in the stage and the table) are
        deduplicated, with a sort over their rows alone: sorting every staged row
        exhausted DuckDB's memory on 100,000 appended lines. A staged copy in an earlier
        file than the counted one takes its place, as a full build would have it.
        """
        n_stage = int(self._exec(f"SELECT count(*) FROM {stage}").fetchone()[0])
        before = int(self._exec("SELECT count(*) FROM events").fetchone()[0])
        self._exec("DROP TABLE IF EXISTS af_dup_ids")
        self._exec(
            f"CREATE TEMP TABLE af_dup_ids AS SELECT event_id FROM {stage} GROUP BY event_id "
            f"HAVING count(*) > 1 UNION SELECT DISTINCT s.event_id FROM {stage} s "
            "WHERE s.event_id IN (SELECT event_id FROM events)"
        )
        if not self._exec("SELECT count(*) FROM af_dup_ids").fetchone()[0]:
            self._exec(f"INSERT INTO events ({COLS}) SELECT {COLS} FROM {stage}")
            self._exec("DROP TABLE af_dup_ids")
            self._drop_stage(stage)
            return n_stage, 0, []
        dup = "event_id IN (SELECT event_id FROM af_dup_ids)"
        copies = self._copies(
            f"SELECT event_id, source_file FROM {stage} WHERE {dup} "
            f"UNION SELECT event_id, source_file FROM events WHERE {dup}"
        )
        # counted copies that an earlier file's staged copy now precedes
        self._exec(
            "INSERT INTO af_dupes SELECT e.event_id, e.source_file FROM events e "
            f"WHERE e.{dup} AND EXISTS (SELECT 1 FROM {stage} s "
            "WHERE s.event_id = e.event_id AND s.source_file < e.source_file)"
        )
        self._exec(
            f"DELETE FROM events WHERE {dup} AND EXISTS (SELECT 1 FROM {stage} s "
            "WHERE s.event_id = events.event_id AND s.source_file < events.source_file)"
        )
        self._exec(f"INSERT INTO events ({COLS}) SELECT {COLS} FROM {stage} WHERE NOT {dup}")
        self._exec(
            f"INSERT INTO events ({COLS}) SELECT {COLS} FROM (SELECT DISTINCT ON (event_id) "
            f"{COLS} FROM {stage} s WHERE s.{dup} AND NOT EXISTS (SELECT 1 FROM events e "
            f"WHERE e.event_id = s.event_id) ORDER BY event_id, source_file, {self._position}) t"
        )
        added = int(self._exec("SELECT count(*) FROM events").fetchone()[0]) - before
        self._exec(
            f"INSERT INTO af_dupes SELECT s.event_id, s.source_file FROM {stage} s "
            f"JOIN events e ON e.event_id = s.event_id WHERE s.{dup} "
            "AND e.source_file <> s.source_file"
        )
        self._exec("DROP TABLE af_dup_ids")
        self._drop_stage(stage)
        return added, n_stage - added, copies

    def _load_stage(self, duck: Any) -> str:
        return "af_stage"

    def _drop_stage(self, stage: str) -> None:
        self._exec(f"DROP TABLE {stage}")


def open_store(con: Any, spec: EngineSpec, *, rebuild: bool = False) -> IndexStore:
    """The index tables on ``con``, created (or rebuilt) as needed."""
    if spec.kind == "postgres":
        from autoforge_learn.analyze.pgstore import PgStore

        store: IndexStore = PgStore(con)
    else:
        store = IndexStore(con)
    if store.pg:  # one refresh at a time per schema (released when the connection closes)
        con.execute("SELECT pg_advisory_lock(hashtext(current_schema()))")
    store._create(rebuild)
    return store
