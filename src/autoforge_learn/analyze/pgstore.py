"""The index in a PostgreSQL schema: the raw files are parsed by an in-memory DuckDB as
for the embedded index, and the rows are loaded with COPY."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from autoforge_learn.analyze.columns import EVENT_COLUMNS
from autoforge_learn.analyze.store import COLS, PG_TYPES, IndexStore


def _pg_safe(name: str, sql_type: str) -> str:
    """A column of ``af_stage`` as PostgreSQL can store it: text there cannot hold a NUL
    character (nor jsonb a ``\\u0000`` escape), so each becomes U+FFFD; one such event
    used to stop every refresh on PostgreSQL."""
    if sql_type == "VARCHAR":
        return f"replace(\"{name}\", chr(0), '\ufffd') AS \"{name}\""
    if sql_type == "JSON":
        return f"replace(CAST(\"{name}\" AS VARCHAR), '\\u0000', '\\ufffd') AS \"{name}\""
    return f'"{name}"'


_PG_SELECT = ", ".join(_pg_safe(n, t) for n, t in EVENT_COLUMNS.items())


class PgStore(IndexStore):
    """The index in a PostgreSQL schema; raw files are parsed by an in-memory DuckDB."""

    pg = True
    _position = "ctid"  # a fresh COPY's physical order is its line order

    def __init__(self, con: Any) -> None:
        super().__init__(con)
        self._duck: Any = None

    def parser(self) -> Any:
        import duckdb

        if self._duck is None:
            spill = os.path.join(tempfile.gettempdir(), f"autoforge-duckdb-{os.getpid()}")
            self._duck = duckdb.connect(config={"temp_directory": spill})
        return self._duck

    def _load_stage(self, duck: Any) -> str:
        cols = ", ".join(f'"{n}" {PG_TYPES[t]}' for n, t in EVENT_COLUMNS.items())
        self._exec(f"CREATE TEMP TABLE IF NOT EXISTS af_stage_pg ({cols})")
        self._exec("TRUNCATE af_stage_pg")
        with tempfile.TemporaryDirectory(prefix="af-copy-") as tmp:
            path = os.path.join(tmp, "stage.csv")
            duck.execute(
                f"COPY (SELECT {_PG_SELECT} FROM af_stage) TO '{path}' "
                "(FORMAT csv, HEADER false, NULLSTR '\\N')"
            )
            with (
                self.con.cursor() as cur,
                cur.copy(f"COPY af_stage_pg ({COLS}) FROM STDIN (FORMAT csv, NULL '\\N')") as cp,
                open(path, "rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    cp.write(chunk)
        return "af_stage_pg"

    def _drop_stage(self, stage: str) -> None:
        self._exec(f"TRUNCATE {stage}")

    def _open_commit(self) -> None:
        self._exec("BEGIN")
