"""Loading raw lines into the index's target table, for one refresh.

:class:`Loader` has two ways in: :meth:`Loader.bulk` takes whole files, read by
:mod:`.bulkread` and parsed by the SQL of :mod:`.sqlparse`; :meth:`Loader.lines` reads a
file (or its appended tail) line by line with the exact parser, which names every bad
line, and loads the valid lines through the same SQL.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.analyze.bulkread import FileFacts, LineBatch
from autoforge_learn.analyze.columns import EVENT_COLUMNS, PAYLOAD_KEYS
from autoforge_learn.analyze.report import Issue

_COLS = ", ".join(f'"{n}"' for n in EVENT_COLUMNS)
#: The key naming each normalized line's file when several files load at once.
_FILE_KEY = "af_source_file_"
#: DuckDB's memory budget while indexing (it spills to disk beyond it).
MEMORY_LIMIT = os.environ.get("AUTOFORGE_INDEX_MEMORY", "512MB")
#: Bytes the line reader reads at a time.
READ_BYTES = 16 << 20
#: Bytes of accepted lines the line reader holds before loading them.
PENDING_BYTES = 32 << 20
#: Payload texts the index does not keep (see :data:`.columns.PAYLOAD_KEYS`).
_UNREAD = set(PAYLOAD_KEYS) - {"system_context"}


def _try_execute(duck: Any, sql: str) -> bool:
    """Run a tuning statement; False if this DuckDB does not know it."""
    try:
        duck.execute(sql)
    except Exception:  # an older DuckDB without the option: run untuned
        return False
    return True


@functools.cache
def _free_text_columns() -> tuple[str, ...]:
    """Text columns that may hold a NUL: all but those whose every rule keeps it out (a
    fixed set of values, or a whole-string pattern of listed characters only)."""
    from autoforge_learn.analyze.columns import KINDS
    from autoforge_learn.analyze.rules import all_rules

    def listed_only(pattern: str | None) -> bool:
        return (
            pattern is not None
            and pattern.startswith("^")
            and pattern.endswith("$")
            and not any(wide in pattern for wide in (".", "[^", "\\W", "\\S", "\\D", "\\x00"))
        )

    def closed(name: str) -> bool:
        rules = [all_rules(k)[name] for k in KINDS if name in all_rules(k)]
        return bool(rules) and all(r.values is not None or listed_only(r.pattern) for r in rules)

    derived = {"month", "source_file"}
    return tuple(
        n for n, t in EVENT_COLUMNS.items() if t == "VARCHAR" and n not in derived and not closed(n)
    )


class Unreadable(Exception):
    """A file could not be read (it went away, or reading failed)."""


class Loader:
    """One refresh: reads files into ``target`` (a staging table, or the empty events table)."""

    def __init__(self, raw_dir: Path, duck: Any, target: str) -> None:
        self.raw_dir = raw_dir
        self.duck = duck
        self.target = target
        self.issues: list[Issue] = []
        #: Lines read by :meth:`lines`, not loaded yet: (file, normalized lines, numbers).
        self._pending: list[tuple[str, list[bytes], list[int]]] = []
        self._pending_bytes = 0
        self.duck.execute("SET enable_progress_bar = false")
        self.duck.execute("SET TimeZone = 'UTC'")
        # Rows keep the order of their lines. Out of order, each thread appends its own
        # partial row groups, which the checkpoint at close compresses and writes again:
        # 8 alternating cold runs on 1M flat lines took 8.3 s (12.5 s CPU) out of order
        # and 7.5 s (10.4 s CPU) in order, at the same peak memory.
        self.duck.execute("SET preserve_insertion_order = true")
        # keep a laptop's memory bounded: DuckDB spills to disk beyond this
        self.duck.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if target == "af_stage":
            cols = ", ".join(f'"{n}" {t}' for n, t in EVENT_COLUMNS.items())
            self.duck.execute(f"CREATE OR REPLACE TEMP TABLE af_stage ({cols})")

    def bulk(
        self,
        batches: Iterator[tuple[str, LineBatch]],
        *,
        loaded: Callable[[list[str]], None] | None = None,
    ) -> tuple[dict[str, FileFacts], list[str]]:
        """Load whole files, batch by batch (each with its file group); return their facts
        and the files that must be read line by line. ``loaded`` is called with each
        batch's files once the batch is in.

        Rows that break a rule are not loaded; a file whose loaded rows fall short of its
        non-blank lines, or that holds an invalid identifier, is taken out again.
        """
        # DuckDB would copy the row checks into the materialized parse as well as apply
        # them after it: twice the cost of the checks (measured: 14% of a batch).
        tuned = _try_execute(self.duck, "SET disabled_optimizers = 'cte_filter_pusher'")
        try:
            facts, slow, rels = self._load_batches(batches, loaded)
        finally:
            if tuned:
                _try_execute(self.duck, "RESET disabled_optimizers")
        # a file sliced over several batches may turn out slow after its first slices
        # were loaded: its rows go, the line reader loads it whole
        self._remove(sorted(set(slow) & set(rels)))
        bad = self._check_loaded([r for r in rels if r in facts], facts)
        return facts, sorted(set(slow) | bad)

    def _load_batches(
        self,
        batches: Iterator[tuple[str, LineBatch]],
        on_loaded: Callable[[list[str]], None] | None = None,
    ) -> tuple[dict[str, FileFacts], list[str], list[str]]:
        """Insert each batch; returns the facts, the files left for the line reader and
        the files loaded."""
        import pyarrow as pa

        from autoforge_learn.analyze import sqlparse as sp

        sql_of: dict[str, str] = {}
        facts: dict[str, FileFacts] = {}
        slow: list[str] = []
        loaded: list[str] = []
        for group, batch in batches:
            slow.extend(batch.slow)
            facts.update(batch.facts)
            loaded.extend(r for r in batch.rels if not loaded or loaded[-1] != r)
            if not batch.rows:
                if on_loaded is not None:
                    on_loaded(batch.rels)
                continue
            if group not in sql_of:
                source = (
                    f"(SELECT s.*, f.rel AS rel_ FROM {sp.read_source(group, 'af_lines')} s "
                    "JOIN af_batch_files f USING (fid))"
                )
                sql_of[group] = sp.transform_sql(
                    group, source, where=sp.not_bad(group), source_file="rel_"
                )
            self.duck.register("af_lines", batch.table)
            self.duck.register(
                "af_batch_files",
                pa.table({"fid": pa.array(range(len(batch.rels)), pa.int32()), "rel": batch.rels}),
            )
            try:
                self.duck.execute(f"INSERT INTO {self.target} ({_COLS}) {sql_of[group]}")
            finally:
                self.duck.unregister("af_lines")
                self.duck.unregister("af_batch_files")
            if on_loaded is not None:
                on_loaded(batch.rels)
        return facts, slow, loaded

    def _check_loaded(self, rels: list[str], facts: dict[str, FileFacts]) -> set[str]:
        """Take out the files whose rows were not all loaded or hold an invalid value of a
        column checked on its distinct values."""
        from autoforge_learn.analyze import sqlparse as sp

        if not rels:
            return set()
        # The target holds only this refresh's rows (the events table of a first build, or
        # the staging table), and nothing but the bulk load has written to it yet.
        mine = f"{self.target} WHERE true"
        counts = dict(
            self.duck.execute(
                f"SELECT source_file, count(*) FROM {mine} GROUP BY source_file"
            ).fetchall()
        )
        bad = {r for r in rels if counts.get(r, 0) != facts[r].nonblank}
        for name in sp.distinct_checked():
            suspects = [
                row[0] for row in self.duck.execute(sp.invalid_values_sql(name, mine)).fetchall()
            ]
            invalid = [v for v in suspects if not sp.valid_value(name, v)]
            if invalid:
                rows = self.duck.execute(
                    f'SELECT DISTINCT source_file FROM {mine} AND "{name}" IN '
                    "(SELECT unnest($values))",
                    {"values": invalid},
                ).fetchall()
                bad.update(r[0] for r in rows)
        self._remove(sorted(bad))
        return bad

    def _remove(self, rels: list[str]) -> None:
        if rels:
            self.duck.execute(
                f"DELETE FROM {self.target} WHERE source_file IN (SELECT unnest($rels))",
                {"rels": rels},
            )

    def lines(self, rel: str, offset: int, lineno: int) -> tuple[int, int]:
        """Read a file from ``offset`` line by line; return the new offset and line count.

        The file is read in slices of :data:`READ_BYTES` and the accepted lines are loaded
        whenever :data:`PENDING_BYTES` of them wait, so memory is bounded by those sizes
        (and by the longest line), not by the file's size.
        """
        path = self.raw_dir / rel
        number = lineno
        new_offset, new_lineno = offset, lineno
        carry = b""
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                while chunk := handle.read(READ_BYTES):
                    data = carry + chunk if carry else chunk
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    if not cut:
                        continue
                    number = self._parse_lines(rel, data[:cut], number)
                    new_offset, new_lineno = new_offset + cut, number
                    if self._pending_bytes >= PENDING_BYTES:
                        self.flush_lines()
        except FileNotFoundError:
            raise Unreadable(rel) from None  # removed while indexing: gone next time too
        except OSError as exc:
            self.issues.append(Issue(str(path), 0, f"unreadable file: {exc.strerror or exc}"))
            raise Unreadable(rel) from None
        if carry.strip():
            self.issues.append(Issue(str(path), number + 1, "torn line (no newline at end)"))
        return new_offset, new_lineno

    def _parse_lines(self, rel: str, data: bytes, number: int) -> int:
        """Judge the whole lines of ``data`` (the first is line ``number + 1``), keep the
        valid ones pending; return the number of the last line."""
        from autoforge_learn.schema.parse import EventError, parse_line

        path = self.raw_dir / rel
        good: list[bytes] = []
        linenos: list[int] = []
        for line in data.split(b"\n")[:-1]:
            number += 1
            text = line.rstrip(b"\r")
            if not text.strip():
                continue
            try:
                event = parse_line(text)
            except EventError as exc:
                self.issues.append(Issue(str(path), number, str(exc)))
                continue
            # only the fields the line set: defaults are applied by the SQL, as for bulk
            # reads; event_id always (derived from the line's text if the line has none);
            # not the payload texts the index does not keep
            out = event.model_dump(
                mode="json", exclude_unset=True, exclude_none=True, exclude=_UNREAD
            )
            out["event_id"] = event.event_id
            good.append(orjson.dumps(out))
            linenos.append(number)
        if good:
            self._pending.append((rel, good, linenos))
            self._pending_bytes += sum(len(line) for line in good)
        return number

    def flush_lines(self) -> None:
        """Load the lines :meth:`lines` accepted since the last flush: all files in one
        statement (a refresh after appends touches many files), or file by file if that
        statement fails, so that the failure is put on the right lines."""
        pending, self._pending = self._pending, []
        self._pending_bytes = 0
        if not pending:
            return
        error = self._load_normalized(pending)
        failed: list[tuple[tuple[str, list[bytes], list[int]], Exception]] = []
        if error is not None and len(pending) == 1:
            failed = [(pending[0], error)]
        elif error is not None:
            for item in pending:
                if (one := self._load_normalized([item])) is not None:
                    failed.append((item, one))
        for (rel, _good, linenos), exc in failed:
            # the exact parser accepted what the index's SQL cannot read
            reason = f"unreadable by the index: {exc}"
            self.issues.extend(Issue(str(self.raw_dir / rel), n, reason) for n in linenos)

    def replace_nul(self) -> None:
        """Put U+FFFD where this refresh's rows hold a NUL character (in a text column, or
        as ``\\u0000`` in ``extra``), as PostgreSQL must (its text cannot hold NUL): both
        engines then hold the same events. The raw files keep the NUL."""
        texts = _free_text_columns()
        found = " OR ".join(
            [f'contains("{n}", chr(0))' for n in texts]
            + ["contains(CAST(extra AS VARCHAR), '\\u0000')"]
        )
        sets = ", ".join(
            [f"\"{n}\" = replace(\"{n}\", chr(0), '\ufffd')" for n in texts]
            + ["extra = CAST(replace(CAST(extra AS VARCHAR), '\\u0000', '\\ufffd') AS JSON)"]
        )
        self.duck.execute(f"UPDATE {self.target} SET {sets} WHERE {found}")

    def _counts(self, rels: list[str]) -> dict[str, int]:
        rows = self.duck.execute(
            f"SELECT source_file, count(*) FROM {self.target} "
            "WHERE source_file IN (SELECT unnest($rels)) GROUP BY source_file",
            {"rels": rels},
        ).fetchall()
        return {str(rel): int(n) for rel, n in rows}

    def _load_normalized(
        self, pending: list[tuple[str, list[bytes], list[int]]]
    ) -> Exception | None:
        """Load files' normalized lines in one statement; the error if it failed (then
        nothing was loaded). Lines the SQL's checks reject are reported."""
        from autoforge_learn.analyze import sqlparse as sp

        rels = [rel for rel, _good, _linenos in pending]
        with tempfile.TemporaryDirectory(prefix="af-index-") as tmp:
            path = os.path.join(tmp, "lines.jsonl")
            with open(path, "wb") as handle:
                for rel, good, _linenos in pending:
                    # every normalized line is an object holding event_id: never "{}"
                    head = b'{"' + _FILE_KEY.encode() + b'":' + orjson.dumps(rel) + b","
                    handle.write(b"".join(head + line[1:] + b"\n" for line in good))
            sql = sp.transform_sql(
                "all",
                sp.read_json_source("all", extra_columns={_FILE_KEY: "VARCHAR"}),
                where=sp.not_bad("all", typed=False),
                source_file=_FILE_KEY,
                derived_id=None,
            )
            before = self._counts(rels)
            try:
                self.duck.execute(f"INSERT INTO {self.target} ({_COLS}) {sql}", {"files": [path]})
            except Exception as exc:  # reported by the caller, on the right file
                return exc
        after = self._counts(rels)
        for rel, good, linenos in pending:
            loaded = after.get(rel, 0) - before.get(rel, 0)
            if loaded < len(good):  # the SQL checks are stricter than the parser here
                self.issues.append(
                    Issue(
                        str(self.raw_dir / rel),
                        linenos[0],
                        f"{len(good) - loaded} valid-looking line(s) from here on rejected "
                        "by the index's checks",
                    )
                )
        return None
