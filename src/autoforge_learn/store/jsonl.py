"""Append-only JSONL files: whole-line appends under a lock, and reads that spot torn lines.

Writers in many threads and processes may append to one file at once. Each append
holds a per-file thread lock and an exclusive ``flock`` on the file, and writes whole
lines. If an earlier writer died mid-line (the file does not end in a newline), the
next append first ends that fragment with a newline, so the torn fragment stays one
bad line that readers report, and no good line is ever glued onto it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

# Oldest-opened descriptors are closed beyond this many (first in, first out).
_MAX_OPEN_FILES = 64


class JsonlAppender:
    """Appends lines to JSONL files, safely across threads and processes.

    File descriptors are cached (up to 64) and reopened after a fork, because a
    descriptor shared with a child process would share its ``flock`` too.
    """

    def __init__(self) -> None:
        # Keyed by path string: hashing str is much cheaper than hashing Path.
        self._fds: OrderedDict[str, int] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._pid = os.getpid()
        # Where each file ended after our last append: if it still ends there, the last
        # byte is our own newline and the torn-line check needs no read.
        self._ends: dict[str, int] = {}

    def _lock_for(self, path: str) -> threading.Lock:
        lock = self._locks.get(path)
        if lock is None:
            with self._guard:
                lock = self._locks.setdefault(path, threading.Lock())
        return lock

    def _fd_for(self, path: str) -> int:
        fd = self._fds.get(path)
        if fd is not None and self._pid == os.getpid():
            return fd
        with self._guard:
            if os.getpid() != self._pid:
                # After a fork the parent's descriptors (and their locks) are shared: drop them.
                self._fds.clear()
                self._ends.clear()
                self._pid = os.getpid()
            fd = self._fds.get(path)
            if fd is not None:
                return fd
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._fds[path] = fd
            if len(self._fds) > _MAX_OPEN_FILES:
                self._evict(keep=path)
            return fd

    def _evict(self, *, keep: str) -> None:
        # Close the oldest descriptors that no thread is writing to right now. A busy
        # one is skipped (try-lock), so eviction never closes a file under a writer and
        # never waits on another file's lock.
        for old_path in list(self._fds):
            if len(self._fds) <= _MAX_OPEN_FILES:
                return
            lock = self._locks.get(old_path)
            if old_path == keep or lock is None or not lock.acquire(blocking=False):
                continue
            try:
                os.close(self._fds.pop(old_path))
                self._ends.pop(old_path, None)
            finally:
                lock.release()

    def append(self, path: str | Path, data: bytes) -> None:
        """Append ``data`` (one or more whole lines, ending in a newline) to ``path``."""
        if not data.endswith(b"\n"):
            raise ValueError("appended data must end with a newline")
        path = os.fspath(path)
        with self._lock_for(path):
            fd = self._fd_for(path)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size and size != self._ends.get(path) and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                self._ends.pop(path, None)
                view = memoryview(data)
                written = os.write(fd, data)
                if written < len(data):  # short write (disk full, signal): finish the line
                    view = memoryview(data)[written:]
                    while view:
                        view = view[os.write(fd, view) :]
                self._ends[path] = size + len(data)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def append_objects(self, path: str | Path, objects: Iterable[object]) -> int:
        """Append each object as one JSON line, in a single locked write. Returns the count."""
        lines = [orjson.dumps(obj) for obj in objects]
        if lines:
            self.append(path, b"\n".join(lines) + b"\n")
        return len(lines)

    def close(self) -> None:
        """Close every cached file descriptor."""
        with self._guard:
            if os.getpid() == self._pid:
                for fd in self._fds.values():
                    os.close(fd)
            self._fds.clear()
            self._ends.clear()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass


@dataclass(frozen=True)
class RawLine:
    """One line of a JSONL file.

    Attributes:
        path: The file.
        lineno: 1-based line number.
        data: The line's bytes, without the newline.
        complete: False for a last line with no newline (a torn or in-progress write).
        offset: Byte offset of the line's start in the file.
    """

    path: Path
    lineno: int
    data: bytes
    complete: bool
    offset: int


def iter_lines(path: Path, *, start_offset: int = 0, start_lineno: int = 1) -> Iterator[RawLine]:
    """Yield the non-blank lines of a JSONL file, marking an unterminated last line.

    Args:
        path: The file to read.
        start_offset: Byte offset to start at (a line start), for incremental reads.
        start_lineno: The line number of the line at ``start_offset``.
    """
    lineno = start_lineno
    offset = start_offset
    with open(path, "rb") as handle:
        if start_offset:
            handle.seek(start_offset)
        for raw in handle:
            complete = raw.endswith(b"\n")
            data = raw.rstrip(b"\r\n") if complete else raw
            if data.strip():
                yield RawLine(path, lineno, data, complete, offset)
            offset += len(raw)
            lineno += 1


def write_json_atomic(path: Path, obj: object) -> None:
    """Write a JSON document so that readers see the old or the new file, never a half."""
    from autoforge_learn.store.atomic import replace_bytes

    replace_bytes(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n")
