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

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from autoforge_learn.analyze.bulkread import (
    HEAD_BYTES,
    TAIL_BYTES,
    FileFacts,
    LineBatch,
    range_hash,
    read_batches,
)
from autoforge_learn.analyze.engine import EngineSpec, file_group
from autoforge_learn.analyze.loader import Loader, Unreadable
from autoforge_learn.analyze.report import IndexReport
from autoforge_learn.analyze.store import INDEX_VERSION, open_store
from autoforge_learn.store.layout import scan_raw_files as raw_files

_T = TypeVar("_T")
#: Called with (bytes read so far, bytes to read) as a refresh reads raw data.
IndexProgress = Callable[[int, int], None]


#: Batches read ahead of the one being loaded.
PREFETCH_DEPTH = 2


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


def _group_batches(
    raw_dir: Path, by_group: dict[str, list[tuple[str, int]]]
) -> Iterator[tuple[str, LineBatch]]:
    for group, files in by_group.items():
        for batch in read_batches(raw_dir, files):
            yield group, batch


def _prefetched(batches: Iterator[_T], depth: int = PREFETCH_DEPTH) -> Iterator[_T]:
    """``batches``, up to ``depth`` read ahead by a thread while the caller loads the
    current one (DuckDB releases the GIL while it works). The thread reads them one after
    the other; reading two ahead keeps a short batch from leaving DuckDB idle."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = deque(pool.submit(next, batches, None) for _ in range(depth))
        while True:
            batch = ahead.popleft().result()
            if batch is None:
                return
            ahead.append(pool.submit(next, batches, None))
            yield batch


class _Meter:
    """Bytes read out of a total, passed on to a progress callback (at most ~200 times).

    A file is counted once, where it is first read (a file of a bulk batch that is then
    read line by line is not counted again).
    """

    def __init__(self, progress: IndexProgress | None, sizes: dict[str, int]) -> None:
        self.progress, self.sizes = progress, sizes
        self.total, self.done, self._shown = sum(sizes.values()), 0, 0
        self._step = max(1, self.total // 200)
        self._seen: set[str] = set()
        if progress is not None:
            progress(0, self.total)

    def read(self, rels: list[str]) -> None:
        for rel in rels:
            if rel not in self._seen:
                self._seen.add(rel)
                self.done += self.sizes.get(rel, 0)
        if self.progress is not None and self.done - self._shown >= self._step:
            self._shown = self.done
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None and self._shown != self.total:
            self.progress(self.total, self.total)


@dataclass
class _Plan:
    """What a refresh has to do, file by file (paths relative to ``raw/``)."""

    removed: list[str] = field(default_factory=list)
    reload: list[str] = field(default_factory=list)
    appends: list[tuple[str, _FileState]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    #: Files whose size and offset did not change but whose mtime did.
    touched: dict[str, _FileState] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.removed or self.reload or self.appends or self.new or self.touched)

    @property
    def full(self) -> list[str]:
        """Files read from their start."""
        return self.new + self.reload


def _plan(raw_dir: Path, on_disk: dict[str, os.stat_result], state: dict[str, _FileState]) -> _Plan:
    """Compare the files on disk with the recorded state."""
    plan = _Plan(removed=[rel for rel in state if rel not in on_disk])
    for rel, st in on_disk.items():
        old = state.get(rel)
        if old is None:
            plan.new.append(rel)
            continue
        if st.st_size == old.size and st.st_mtime_ns == old.mtime_ns:
            continue
        path = raw_dir / rel
        if st.st_size < old.offset or _hashes(path, old.offset) != (old.head_hash, old.tail_hash):
            plan.reload.append(rel)
        elif st.st_size > old.offset:
            plan.appends.append((rel, old))
        else:
            old.size, old.mtime_ns = st.st_size, st.st_mtime_ns
            plan.touched[rel] = old
    return plan


@dataclass
class _Read:
    """What reading the planned files gave."""

    #: file -> (offset read to, line count or None when not counted)
    results: dict[str, tuple[int, int | None]]
    facts: dict[str, FileFacts]
    #: Appended files and the first line number read from them.
    reread: list[tuple[str, int]]


def _read_files(
    loader: Loader, raw_dir: Path, plan: _Plan, on_disk: dict[str, os.stat_result], meter: _Meter
) -> _Read:
    """Read whole files in bulk (those it cannot take line by line), then appended tails."""
    by_group: dict[str, list[tuple[str, int]]] = {}
    for rel in plan.full:
        by_group.setdefault(file_group(rel), []).append((rel, on_disk[rel].st_size))
    facts: dict[str, FileFacts] = {}
    slow: list[str] = []
    if by_group:
        facts, slow = loader.bulk(_prefetched(_group_batches(raw_dir, by_group)), loaded=meter.read)
    results: dict[str, tuple[int, int | None]] = {}
    for rel in plan.full:
        fact = facts.get(rel)
        results[rel] = (on_disk[rel].st_size, fact.lines if fact else None)
    for rel in slow:
        try:
            results[rel] = loader.lines(rel, 0, 0)
        except Unreadable:
            del results[rel]  # not recorded: read again on the next refresh
        meter.read([rel])
    reread: list[tuple[str, int]] = []
    for rel, old in plan.appends:
        lineno = old.lineno
        meter.read([rel])
        try:
            if lineno is None:
                lineno = _count_lines(raw_dir / rel, old.offset)
            results[rel] = loader.lines(rel, old.offset, lineno)
        except (Unreadable, FileNotFoundError):
            continue  # its recorded state stays: the next refresh tries again
        reread.append((rel, lineno + 1))
    loader.flush_lines()
    loader.replace_nul()
    meter.finish()
    return _Read(results, facts, reread)


def _new_states(
    raw_dir: Path, read: _Read, on_disk: dict[str, os.stat_result], plan: _Plan
) -> dict[str, _FileState]:
    """The recorded state of every file read (and of the touched ones)."""
    states: dict[str, _FileState] = dict(plan.touched)
    for rel, (offset, lineno) in read.results.items():
        st = on_disk[rel]
        fact = read.facts.get(rel)
        # A file read whole in bulk was hashed in the same read that counted it.
        if fact is not None and offset == st.st_size:
            head, tail = fact.head_hash, fact.tail_hash
        else:
            head, tail = _hashes(raw_dir / rel, offset)
        states[rel] = _FileState(st.st_size, st.st_mtime_ns, offset, lineno, head, tail)
    return states


def refresh_index(
    raw: Any,
    spec: EngineSpec,
    raw_dir: Path,
    *,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
) -> IndexReport:
    """Bring the index up to date through an open raw connection, reading only what
    changed.

    Args:
        raw: A DB-API connection to the index (duckdb or psycopg).
        spec: The engine it is on.
        raw_dir: The raw data directory.
        rebuild: Drop the index and read everything again.
        progress: Called with ``(bytes read, bytes to read)`` as raw data is loaded.

    Returns:
        What was read, added and left out; ``issues`` lists every invalid line.
    """
    store = open_store(raw, spec, rebuild=rebuild)
    report = IndexReport(engine=spec.label)
    on_disk: dict[str, os.stat_result] = dict(raw_files(raw_dir))
    report.files = len(on_disk)
    state = {rel: _FileState(*row) for rel, *row in store.load_state()}
    plan = _plan(raw_dir, on_disk, state)
    if plan.empty():
        report.events, report.issues = store.counts_and_issues(raw_dir)
        report.fingerprint = _fingerprint(state)
        return report
    reload = store.expand_reload(plan.reload + plan.removed)
    plan.reload = [r for r in reload if r in on_disk and r not in plan.new]
    plan.appends = [(r, s) for r, s in plan.appends if r not in plan.reload]
    report.files_reloaded = len(plan.reload)
    report.files_removed = len(plan.removed)
    duck = store.parser()
    direct = store.prepare_direct(has_state=bool(state))
    loader = Loader(raw_dir, duck, "events" if direct else "af_stage")
    sizes = {r: on_disk[r].st_size for r in plan.full}
    sizes |= {r: on_disk[r].st_size - old.offset for r, old in plan.appends}
    try:
        read = _read_files(loader, raw_dir, plan, on_disk, _Meter(progress, sizes))
        report.files_read = len(sizes)
        report.bytes_read = sum(sizes.values())
        states = _new_states(raw_dir, read, on_disk, plan)
        added, dupes = store.commit(
            duck,
            raw_dir=raw_dir,
            direct=direct,
            drop_files=plan.removed + plan.reload,
            states=[(rel, *s.__dict__.values()) for rel, s in states.items()],
            issues=[(os.path.relpath(i.path, raw_dir), i.line, i.reason) for i in loader.issues],
            cleared=plan.full,
            reread=read.reread,
        )
    except BaseException:
        store.abort_load(direct)
        raise
    report.events_added, report.duplicates = added, dupes
    report.new_issues = loader.issues
    report.events, report.issues = store.counts_and_issues(raw_dir)
    report.fingerprint = _fingerprint({rel: _FileState(*row) for rel, *row in store.load_state()})
    return report


def _fingerprint(state: dict[str, _FileState]) -> str:
    """A digest of what the index holds (see ``IndexReport.fingerprint``); modification
    times are left out, since touching a file changes nothing the index holds."""
    digest = hashlib.sha256(f"index {INDEX_VERSION}\n".encode())
    for rel in sorted(state):
        s = state[rel]
        digest.update(f"{rel}\0{s.size}\0{s.offset}\0{s.head_hash}\0{s.tail_hash}\n".encode())
    return digest.hexdigest()
