"""Exclusive locks between processes, the same on Linux, macOS and Windows.

Every read-modify-write of a shared file (a role's prompt file, the changelog, an
experiment, the review queue) holds one of these. They are built on ``filelock``, a
well-kept portable library, rather than ``fcntl``, which does not exist on Windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autoforge_learn.errors import StoreAccessError


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold ``lock_file``'s exclusive lock (created, with its directory, if missing).

    Not re-entrant across calls: take each lock once per operation.

    Raises:
        StoreAccessError: If the lock file cannot be created (a read-only store).
    """
    from filelock import FileLock

    lock = FileLock(str(lock_file))
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as exc:
        raise StoreAccessError.writing(lock_file, exc) from exc
    try:
        yield
    finally:
        lock.release()
