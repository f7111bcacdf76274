"""The incremental index: raw JSONL files -> the normalized events table.

Per file the index keeps its size, mtime, the byte offset and line count read so far,
and hashes of its head and of the bytes just before the offset. A re-run reads only the
bytes appended since, picks up new files, drops removed ones and fully reloads a file
that shrank or whose head changed (and any file holding duplicates of its events).

Whole files are read in bulk: Python reads them (:mod:`.bulkread`), DuckDB parses the
lines (:mod:`.sqlparse`). A file the bulk reader does not take whole, a file with a torn
(unterminated) last line, and every appended tail are read line by line with
:func:`autoforge_learn.schema.parse.parse_line`: invalid lines are reported as
``file:line: reason`` and left out, valid lines are normalized and loaded by the same
SQL. Events are deduplicated by ``event_id``: the first copy (by file) counts.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson

from autoforge_learn.analyze.bulkread import (
    HEAD_BYTES,
    TAIL_BYTES,
    FileFacts,
    LineBatch,
    range_hash,
    read_batches,
)
from autoforge_learn.analyze.columns import EVENT_COLUMNS
from autoforge_learn.analyze.engine import (
    EngineSpec,
    connect_raw,
    file_group,
    resolve_engine,
)
from autoforge_learn.analyze.engine import raw_dir as raw_dir_of
from autoforge_learn.analyze.report import IndexReport, InvalidLinesError, Issue
from autoforge_learn.analyze.store import open_store
from autoforge_learn.store.layout import find_root
from autoforge_learn.store.layout import scan_raw_files as raw_files

_COLS = ", ".join(f'"{n}"' for n in EVENT_COLUMNS)
#: DuckDB's memory budget while indexing (it spills to disk beyond it).
MEMORY_LIMIT = os.environ.get("AUTOFORGE_INDEX_MEMORY", "512MB")
_T = TypeVar("_T")


@dataclass
class _FileState:
    size: int
    mtime_ns: int
    offset: int
    lineno: int | None
    head_hash: str
    tail_hash: str


def _hash_range(path: Path, start: int, end: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(start)
        return range_hash(handle.read(max(0, end - start)))


def _hashes(path: Path, offset: int) -> tuple[str, str]:
    return (
        _hash_range(path, 0, min(offset, HEAD_BYTES)),
        _hash_range(path, max(0, offset - TAIL_BYTES), offset),
    )


def _count_lines(path: Path, offset: int) -> int:
    count = 0
    with open(path, "rb") as handle:
        remaining = offset
        while remaining > 0:
            chunk = handle.read(min(remaining, 1 << 24))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count


def _try_execute(duck: Any, sql: str) -> bool:
    """Run a tuning statement; False if this DuckDB does not know it."""
    try:
        duck.execute(sql)
    except Exception:  # an older DuckDB without the option: run untuned
        return False
    return True


class _Unreadable(Exception):
    """A file could not be read (it went away, or reading failed)."""


class _Loader:
    """One refresh: reads files into ``target`` (a staging table, or the empty events table)."""

    def __init__(self, raw_dir: Path, duck: Any, target: str) -> None:
        self.raw_dir = raw_dir
        self.duck = duck
        self.target = target
        self.issues: list[Issue] = []
        self.duck.execute("SET enable_progress_bar = false")
        self.duck.execute("SET TimeZone = 'UTC'")
        # order within a batch does not matter (duplicates are resolved by file name);
        # letting DuckDB read files out of order halves the bulk read
        self.duck.execute("SET preserve_insertion_order = false")
        # keep a laptop's memory bounded: DuckDB spills to disk beyond this
        self.duck.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if target == "af_stage":
            cols = ", ".join(f'"{n}" {t}' for n, t in EVENT_COLUMNS.items())
            self.duck.execute(f"CREATE OR REPLACE TEMP TABLE af_stage ({cols})")

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.raw_dir)

    def bulk(
        self, batches: Iterator[tuple[str, LineBatch]]
    ) -> tuple[dict[str, FileFacts], list[str]]:
        """Load whole files, batch by batch (each with its file group); return their facts
        and the files that must be read line by line.

        Rows that break a rule are not loaded; a file whose loaded rows fall short of its
        non-blank lines, or that holds an invalid identifier, is taken out again.
        """

        sql_of: dict[str, str] = {}
        facts: dict[str, FileFacts] = {}
        slow: list[str] = []
        loaded: list[str] = []
        # DuckDB would copy the row checks into the materialized parse as well as apply
        # them after it: twice the cost of the checks (measured: 14% of a batch).
        tuned = _try_execute(self.duck, "SET disabled_optimizers = 'cte_filter_pusher'")
        try:
            self._load_batches(batches, sql_of, facts, slow, loaded)
        finally:
            if tuned:
                _try_execute(self.duck, "RESET disabled_optimizers")
        bad = self._check_loaded(loaded, facts)
        return facts, sorted(set(slow) | bad)

    def _load_batches(
        self,
        batches: Iterator[tuple[str, LineBatch]],
        sql_of: dict[str, str],
        facts: dict[str, FileFacts],
        slow: list[str],
        loaded: list[str],
    ) -> None:
        from autoforge_learn.analyze import sqlparse as sp

        for group, batch in batches:
            slow.extend(batch.slow)
            facts.update(batch.facts)
            loaded.extend(batch.rels)
            if not batch.rows:
                continue
            import pyarrow as pa

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

    def _check_loaded(self, rels: list[str], facts: dict[str, FileFacts]) -> set[str]:
        """Take out the files whose rows were not all loaded or hold an invalid identifier."""
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
        for name in sp.DISTINCT_CHECKED:
            suspects = [
                row[0]
                for row in self.duck.execute(sp.invalid_values_sql(name, mine)).fetchall()
            ]
            invalid = [v for v in suspects if not sp.valid_identifier(name, v)]
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
        """Read a file from ``offset`` line by line; return the new offset and line count."""
        from autoforge_learn.schema.parse import EventError, parse_line

        path = self.raw_dir / rel
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            raise _Unreadable(rel) from None  # removed while indexing: gone next time too
        except OSError as exc:
            self.issues.append(Issue(str(path), 0, f"unreadable file: {exc.strerror or exc}"))
            raise _Unreadable(rel) from None
        good: list[bytes] = []
        linenos: list[int] = []
        pos, number = 0, lineno
        new_offset, new_lineno = offset, lineno
        while pos < len(data):
            end = data.find(b"\n", pos)
            number += 1
            if end < 0:
                if data[pos:].strip():
                    self.issues.append(Issue(str(path), number, "torn line (no newline at end)"))
                break
            text = data[pos:end].rstrip(b"\r")
            pos = end + 1
            new_offset, new_lineno = offset + pos, number
            if not text.strip():
                continue
            try:
                event = parse_line(text)
            except EventError as exc:
                self.issues.append(Issue(str(path), number, str(exc)))
                continue
            # only the fields the line set: defaults are applied by the SQL, as for bulk
            # reads; event_id always (derived from the line's text if the line has none)
            out = event.model_dump(mode="json", exclude_unset=True, exclude_none=True)
            out["event_id"] = event.event_id
            good.append(orjson.dumps(out))
            linenos.append(number)
        if good:
            self._load_normalized(rel, good, linenos)
        return new_offset, new_lineno

    def _load_normalized(self, rel: str, good: list[bytes], linenos: list[int]) -> None:
        """Load lines the exact parser accepted (normalized) through the same SQL."""
        from autoforge_learn.analyze import sqlparse as sp

        with tempfile.TemporaryDirectory(prefix="af-index-") as tmp:
            path = os.path.join(tmp, "lines.jsonl")
            with open(path, "wb") as handle:
                handle.write(b"\n".join(good) + b"\n")
            sql = sp.transform_sql(
                "all",
                sp.read_json_source("all"),
                where=sp.not_bad("all"),
                source_file="$rel",
                derived_id=None,
            )
            before = self._count(rel)
            try:
                self.duck.execute(
                    f"INSERT INTO {self.target} ({_COLS}) {sql}", {"files": [path], "rel": rel}
                )
                loaded = self._count(rel) - before
            except Exception as exc:  # the exact parser accepted what the bulk reader cannot
                reason = f"unreadable by the index: {exc}"
                loaded = -1
        if loaded < 0:
            for number in linenos:
                self.issues.append(Issue(str(self.raw_dir / rel), number, reason))
        elif loaded < len(good):  # the SQL checks are stricter than the parser here
            self.issues.append(
                Issue(
                    str(self.raw_dir / rel),
                    linenos[0],
                    f"{len(good) - loaded} valid-looking line(s) from here on rejected by "
                    "the index's checks",
                )
            )

    def _count(self, rel: str) -> int:
        row = self.duck.execute(
            f"SELECT count(*) FROM {self.target} WHERE source_file = $rel", {"rel": rel}
        ).fetchone()
        return int(row[0]) if row else 0


def _group_batches(
    raw_dir: Path, by_group: dict[str, list[tuple[str, int]]]
) -> Iterator[tuple[str, LineBatch]]:
    for group, files in by_group.items():
        for batch in read_batches(raw_dir, files):
            yield group, batch


def _prefetched(batches: Iterator[_T]) -> Iterator[_T]:
    """``batches``, the next one read by a thread while the caller loads the current
    one (DuckDB releases the GIL while it works)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(next, batches, None)
        while True:
            batch = ahead.result()
            if batch is None:
                return
            ahead = pool.submit(next, batches, None)
            yield batch


def build_index(
    root: Path | str | None = None,
    *,
    engine: str | None = None,
    strict: bool = False,
    rebuild: bool = False,
) -> IndexReport:
    """Bring the index of ``root``'s raw data up to date, reading only what changed.

    Args:
        root: The ``.autoforge`` directory (default: found like the collector finds it).
        engine: ``duckdb`` (default, ``<root>/index.duckdb``), ``duckdb:PATH`` or a
            PostgreSQL URL; default ``$AUTOFORGE_ENGINE``.
        strict: Raise :class:`InvalidLinesError` if the index leaves out any line.
        rebuild: Drop the index and read everything again.

    Returns:
        What was read, added and left out; ``issues`` lists every invalid line.
    """
    started = time.perf_counter()
    root_path = find_root(root)
    spec = resolve_engine(root_path, engine)
    raw = connect_raw(spec)
    try:
        report = refresh_index(raw, spec, raw_dir_of(root_path), rebuild=rebuild)
    finally:
        raw.close()
    report.seconds = round(time.perf_counter() - started, 3)
    if strict and report.issues:
        raise InvalidLinesError(report)
    return report


def refresh_index(
    raw: Any, spec: EngineSpec, raw_dir: Path, *, rebuild: bool = False
) -> IndexReport:
    """Refresh the index through an open raw connection (see :func:`build_index`)."""
    store = open_store(raw, spec, rebuild=rebuild)
    report = IndexReport(engine=spec.label)
    on_disk: dict[str, os.stat_result] = dict(raw_files(raw_dir))
    report.files = len(on_disk)
    state = {rel: _FileState(*row) for rel, *row in store.load_state()}
    removed = [rel for rel in state if rel not in on_disk]
    reload: list[str] = []
    appends: list[tuple[str, _FileState]] = []
    new: list[str] = []
    touched: dict[str, _FileState] = {}
    for rel, st in on_disk.items():
        old = state.get(rel)
        if old is None:
            new.append(rel)
            continue
        if st.st_size == old.size and st.st_mtime_ns == old.mtime_ns:
            continue
        path = raw_dir / rel
        if st.st_size < old.offset or _hashes(path, old.offset) != (old.head_hash, old.tail_hash):
            reload.append(rel)
        elif st.st_size > old.offset:
            appends.append((rel, old))
        else:
            old.size, old.mtime_ns = st.st_size, st.st_mtime_ns
            touched[rel] = old
    if not (removed or reload or appends or new or touched):
        report.events, report.issues = store.counts_and_issues(raw_dir)
        return report
    reload = store.expand_reload(reload + removed)
    reload = [r for r in reload if r in on_disk and r not in new]
    appends = [(r, s) for r, s in appends if r not in reload]
    report.files_reloaded = len(reload)
    report.files_removed = len(removed)
    duck = store.parser()
    direct = store.prepare_direct(has_state=bool(state))
    loader = _Loader(raw_dir, duck, "events" if direct else "af_stage")
    full = new + reload
    try:
        by_group: dict[str, list[tuple[str, int]]] = {}
        for rel in full:
            by_group.setdefault(file_group(rel), []).append((rel, on_disk[rel].st_size))
        facts: dict[str, FileFacts] = {}
        slow: list[str] = []
        if by_group:
            facts, slow = loader.bulk(_prefetched(_group_batches(raw_dir, by_group)))
        results: dict[str, tuple[int, int | None]] = {}
        for rel in full:
            fact = facts.get(rel)
            results[rel] = (on_disk[rel].st_size, fact.lines if fact else None)
        for rel in slow:
            try:
                results[rel] = loader.lines(rel, 0, 0)
            except _Unreadable:
                del results[rel]  # not recorded: read again on the next refresh
        reread: list[tuple[str, int]] = []
        for rel, old in appends:
            lineno = old.lineno
            try:
                if lineno is None:
                    lineno = _count_lines(raw_dir / rel, old.offset)
                results[rel] = loader.lines(rel, old.offset, lineno)
            except (_Unreadable, FileNotFoundError):
                continue  # its recorded state stays: the next refresh tries again
            reread.append((rel, lineno + 1))
        report.files_read = len(full) + len(appends)
        report.bytes_read = sum(on_disk[r].st_size for r in full) + sum(
            on_disk[r].st_size - s.offset for r, s in appends
        )
        states: dict[str, _FileState] = dict(touched)
        for rel, (offset, lineno) in results.items():
            st = on_disk[rel]
            fact = facts.get(rel)
            # A file read whole in bulk was hashed in the same read that counted it.
            if fact is not None and offset == st.st_size:
                head, tail = fact.head_hash, fact.tail_hash
            else:
                head, tail = _hashes(raw_dir / rel, offset)
            states[rel] = _FileState(st.st_size, st.st_mtime_ns, offset, lineno, head, tail)
        added, dupes = store.commit(
            duck,
            direct=direct,
            drop_files=removed + reload,
            states=[(rel, *s.__dict__.values()) for rel, s in states.items()],
            issues=[(os.path.relpath(i.path, raw_dir), i.line, i.reason) for i in loader.issues],
            cleared=full,
            reread=reread,
        )
    except BaseException:
        store.abort_load(direct)
        raise
    report.events_added, report.duplicates = added, dupes
    report.new_issues = loader.issues
    report.events, report.issues = store.counts_and_issues(raw_dir)
    return report
