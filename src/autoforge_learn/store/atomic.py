"""Replacing a derived file whole: readers see the old file or the new one, never half.

Every file the tool rewrites (aggregates, labels, exports, prompt files, suggestion
files, review records) goes through :func:`replacing`: the content is written to a
temporary file beside the target, flushed to disk, then renamed over it. A failure
leaves the target as it was and removes the temporary file. Raw event files are never
replaced: they are only appended to.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autoforge_learn.errors import StoreAccessError


@contextmanager
def replacing(path: Path, *, synced: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; on leaving the block
    normally it replaces ``path`` (the parent directory is created when missing).

    The data reach the disk before the rename (``synced``: the writer already did it).

    Raises:
        StoreAccessError: If the folder, the temporary file or the target cannot be
            written (read-only store, permissions, a full disk), naming ``path``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        if not synced:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # Only a failure on the files this function owns is the user's to fix; another
        # file's error (a source the writer reads) keeps its own story.
        if exc.filename is None or Path(exc.filename) not in (tmp, path, path.parent):
            raise
        raise StoreAccessError.writing(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def replace_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`replacing`)."""
    with replacing(path, synced=True) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def replace_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically (see :func:`replacing`)."""
    replace_bytes(path, text.encode("utf-8"))
