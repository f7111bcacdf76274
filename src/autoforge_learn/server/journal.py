"""The server's journal: one file whose fdatasync makes a whole batch durable.

Syncing each raw file a batch touches costs one disk flush per file (a batch of 20
projects: 20 flushes, ~3 ms each here). Instead the server appends the batch's lines to
``<root>/server/journal.jsonl`` too, flushes that one file, and answers; concurrent
requests share a flush (group commit: whoever flushes covers everything written before
it). The raw files are flushed at a checkpoint (when the journal is large, and at
shutdown), after which the journal is emptied. After a crash, the server replays the
journal's lines whose ids the raw files lack.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from autoforge_learn.store.jsonl import iter_lines


def sync_dir(path: Path) -> None:
    """Flush a directory's entries (a file created in it survives a crash)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_file(path: str | Path) -> None:
    """Flush a file's data to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


class Journal:
    """An append-only file with group-committed flushes.

    Args:
        path: The journal file (created, with its directory, if missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if created:
            sync_dir(path.parent)
        self._written = os.fstat(self._fd).st_size
        self._synced = self._written
        self._sync_lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes written since the journal was last emptied."""
        return self._written

    def lines(self) -> Iterator[bytes]:
        """The complete lines of the journal (a line torn by a crash is left out)."""
        for line in iter_lines(self.path):
            if line.complete:
                yield line.data

    def append(self, data: bytes) -> int:
        """Write whole lines (the caller serialises appends); returns the position the
        journal must be flushed to for them to be durable."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._written += len(data)
        return self._written

    def sync(self, upto: int) -> None:
        """Return once everything up to ``upto`` is on disk, flushing if no one did."""
        if self._synced >= upto:
            return
        with self._sync_lock:
            if self._synced >= upto:  # a concurrent flush covered it
                return
            target = self._written
            os.fdatasync(self._fd)
            self._synced = max(self._synced, target)

    def reset(self) -> None:
        """Empty the journal (the caller made its content durable elsewhere first)."""
        with self._sync_lock:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
            self._written = self._synced = 0

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)
