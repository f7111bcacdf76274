"""Raw files read into memory as Arrow tables of lines, for the bulk load.

DuckDB's own readers pay a fixed cost per file (about 0.2-0.3 ms), which dominates on a
store of many small files (36,000 projects make 108,000 files). Reading the files here,
one ``open`` and one ``read`` each, and handing DuckDB a single table of ``(fid, line)``
removes that cost, and the same read yields each file's line counts and hashes.

Memory is bounded by the batch size, whatever the sizes of files and lines: a file
larger than a batch is read in slices cut at newlines, a file holding a line longer than
:data:`LONG_LINE` is left to the line reader (which streams), and the Arrow record
batches DuckDB scans are cut to a few MB each (:func:`_chunks`).

Each line keeps its terminating newline: the SQL parses it as it is and derives the id
of a line without ``event_id`` as the MD5 of exactly these bytes (see
:func:`autoforge_learn.schema.parse.derive_event_id`), so nothing is copied.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bytes of raw text per batch. Each batch costs a plan of the parsing SQL (~0.1 s):
#: batches of 32 MB took 16% more CPU than 128 MB on 300,000 events.
BATCH_BYTES = int(os.environ.get("AUTOFORGE_INDEX_BATCH_BYTES", str(128 << 20)))
#: Bytes per slice of a file larger than a batch. Up to three batches are held at once
#: (two read ahead): slices of 128 MB made a 2.5 GB file peak at 1.2 GB of memory.
SLICE_BYTES = int(os.environ.get("AUTOFORGE_INDEX_SLICE_BYTES", str(32 << 20)))
#: A line longer than this sends its file to the line reader: DuckDB's JSON functions
#: allocate several times a line's length for each of the parses of a row.
LONG_LINE = 8 << 20
HEAD_BYTES = 4096
TAIL_BYTES = 4096
#: Rows per Arrow record batch: DuckDB scans record batches in parallel.
_CHUNK_ROWS = 65536
#: Bytes of text per Arrow record batch (see :func:`_chunks`).
CHUNK_BYTES = 16 << 20


def range_hash(data: bytes) -> str:
    """The hash the index keeps of a file's head or tail."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_EMPTY_HASH = range_hash(b"")


@dataclass(frozen=True)
class FileFacts:
    """What one read of a file's first ``size`` bytes tells.

    Attributes:
        lines: Terminated lines.
        nonblank: Lines holding more than their newline.
        head_hash: Hash of the first 4 KiB.
        tail_hash: Hash of the last 4 KiB before ``size``.
    """

    lines: int
    nonblank: int
    head_hash: str
    tail_hash: str


@dataclass
class LineBatch:
    """Files read whole, as one table of lines.

    Attributes:
        rels: The files (paths relative to ``raw/``); a line's ``fid`` indexes this list.
        facts: Per file, what its read told.
        table: Columns ``fid`` (int32) and ``line`` (each line with its newline).
        slow: Files to read line by line instead: the last line is unterminated, the
            file shrank or could not be read since it was listed, it is not UTF-8, or
            it holds a carriage return (its lines are judged by the exact parser, which
            names the bad line, or strips the carriage return).
    """

    rels: list[str] = field(default_factory=list)
    facts: dict[str, FileFacts] = field(default_factory=dict)
    table: Any = None
    slow: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return 0 if self.table is None else int(self.table.num_rows)


def _slices(path: Path, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of ``path`` in slices of about :data:`SLICE_BYTES`, each
    ending with a newline (a last slice may not); one slice for a file that fits."""
    with open(path, "rb") as handle:
        carry = b""
        left = size
        while left > 0:
            chunk = handle.read(min(left, SLICE_BYTES, BATCH_BYTES))
            if not chunk:
                break  # the file shrank since it was listed
            left -= len(chunk)
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"\n") + 1 if left > 0 else len(data)
            if cut == 0 and len(data) <= LONG_LINE:  # a line longer than a slice
                carry = data
                continue
            cut = cut or len(data)  # a line too long to take: the caller refuses it
            carry = data[cut:]
            yield data[:cut]


def _has_long_line(data: bytes) -> bool:
    """Whether a line of ``data`` is longer than :data:`LONG_LINE` bytes."""
    if len(data) <= LONG_LINE:
        return False
    import numpy as np

    ends = _newlines(data)
    if not len(ends):
        return True
    gaps = np.diff(ends, prepend=-1)
    return bool(gaps.max() > LONG_LINE) or len(data) - 1 - int(ends[-1]) > LONG_LINE


def _usable(data: bytes, *, last: bool) -> bool:
    """Whether the bulk load can take ``data`` (a file's bytes, or one slice of them)."""
    if last and data and data[-1:] != b"\n":
        return False
    if b"\r" in data or _has_long_line(data):
        return False
    return data.isascii() or _is_utf8(data)


def read_batches(raw_dir: Path, files: list[tuple[str, int]]) -> Iterator[LineBatch]:
    """Read ``(rel, size)`` files (their first ``size`` bytes) in batches of lines.

    A file larger than a batch is read in slices, each a batch of its own; if a later
    slice cannot be taken in bulk, the file goes to ``slow`` and the loader drops the
    rows its earlier slices gave.

    Args:
        raw_dir: The ``raw/`` directory ``rel`` paths are relative to.
        files: Files with the size they had when listed; bytes appended since are left
            for the next refresh, as the index records ``size`` as read.

    Yields:
        Batches of at most about :data:`BATCH_BYTES` of text each.
    """
    pending: list[tuple[str, bytes]] = []
    slow: list[str] = []
    held = 0
    for rel, size in files:
        if size > BATCH_BYTES:
            if pending or slow:
                yield _batch(pending, slow)
                pending, slow, held = [], [], 0
            yield from _sliced(raw_dir / rel, rel, size)
            continue
        try:
            with open(raw_dir / rel, "rb") as handle:
                data = handle.read(size)
        except OSError:  # gone or unreadable since listed: the line reader reports it
            slow.append(rel)
            continue
        if len(data) < size or not _usable(data, last=True):
            slow.append(rel)  # the exact parser names the line
            continue
        pending.append((rel, data))
        held += len(data)
        if held >= BATCH_BYTES:
            yield _batch(pending, slow)
            pending, slow, held = [], [], 0
    if pending or slow:
        yield _batch(pending, slow)


def _sliced(path: Path, rel: str, size: int) -> Iterator[LineBatch]:
    """The batches of one file larger than a batch: one per slice. The file's facts come
    with its last slice (counts summed over the slices, hashes read from the file); a
    file any slice of which the bulk load cannot take ends in a batch naming it slow."""
    lines = nonblank = read = 0
    try:
        for data in _slices(path, size):
            read += len(data)
            if not _usable(data, last=read >= size):
                break
            batch = _batch([(rel, data)], [])
            part = batch.facts.pop(rel)
            lines, nonblank = lines + part.lines, nonblank + part.nonblank
            if read >= size:
                with open(path, "rb") as handle:
                    head = range_hash(handle.read(HEAD_BYTES))
                    handle.seek(max(0, size - TAIL_BYTES))
                    tail = range_hash(handle.read(min(size, TAIL_BYTES)))
                batch.facts[rel] = FileFacts(lines, nonblank, head, tail)
                yield batch
                return
            yield batch
    except OSError:  # gone or unreadable since listed: the line reader reports it
        pass
    yield LineBatch(slow=[rel])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _newlines(text: bytes) -> Any:
    """Positions of the newlines of ``text`` (scanned in slices: a small temporary)."""
    import numpy as np

    view = np.frombuffer(text, dtype=np.uint8)
    step = 1 << 24
    parts = [np.flatnonzero(view[k : k + step] == 10) + k for k in range(0, len(view), step)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _batch(files: list[tuple[str, bytes]], slow: list[str]) -> LineBatch:
    """One batch from files read whole (``files`` is emptied: their bytes are freed as
    soon as they are joined)."""
    import numpy as np
    import pyarrow as pa

    batch = LineBatch(slow=list(slow))
    kept: list[str] = []
    sizes: list[int] = []
    hashes: list[tuple[str, str]] = []
    for rel, data in files:
        size = len(data)
        if not data:
            batch.rels.append(rel)
            batch.facts[rel] = FileFacts(0, 0, _EMPTY_HASH, _EMPTY_HASH)
            continue
        kept.append(rel)
        sizes.append(size)
        hashes.append(
            (
                range_hash(data[: min(size, HEAD_BYTES)]),
                range_hash(data[max(0, size - TAIL_BYTES) :]),
            )
        )
    if not kept:
        return batch
    # one file (a slice of a large one): its bytes as they are, not a copy
    text = files[0][1] if len(files) == 1 else b"".join(data for _rel, data in files if data)
    files.clear()
    first_fid = len(batch.rels)
    ends = _newlines(text)
    offsets = np.empty(len(ends) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends + 1
    # each file ends with its last newline: its lines are the newlines before its end
    last = np.searchsorted(ends, np.cumsum(np.asarray(sizes, dtype=np.int64)))
    counts = np.diff(last, prepend=0)
    starts = last - counts
    nonblank = np.add.reduceat(np.diff(offsets) > 1, starts)  # every file here has a line
    for i, rel in enumerate(kept):
        batch.rels.append(rel)
        head, tail = hashes[i]
        batch.facts[rel] = FileFacts(int(counts[i]), int(nonblank[i]), head, tail)
    fids = np.repeat(np.arange(first_fid, first_fid + len(kept), dtype=np.int32), counts)
    lines = pa.Array.from_buffers(
        pa.string(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )
    table = pa.table({"fid": pa.array(fids), "line": lines}).combine_chunks()
    whole = table.to_batches()[0]
    batch.table = pa.Table.from_batches(
        [whole.slice(start, stop - start) for start, stop in _chunks(offsets)],
        schema=table.schema,
    )
    return batch


def _chunks(offsets: Any) -> Iterator[tuple[int, int]]:
    """Row ranges of at most :data:`_CHUNK_ROWS` lines and about :data:`CHUNK_BYTES` of
    text (a longer line alone). DuckDB works on up to 2,048 rows of a record batch at a
    time, so rows of 50 KB would make each thread hold 100 MB per step: bounding a record
    batch's bytes bounds that."""
    import numpy as np

    rows = len(offsets) - 1
    start = 0
    while start < rows:
        by_bytes = int(np.searchsorted(offsets, offsets[start] + CHUNK_BYTES, side="right")) - 1
        stop = min(start + _CHUNK_ROWS, rows, max(by_bytes, start + 1))
        yield start, stop
        start = stop
