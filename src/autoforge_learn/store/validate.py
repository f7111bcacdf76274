"""Check JSONL event files line by line, with errors as ``file:line: field: message``.

The checking itself is :class:`~autoforge_learn.store.reader.RawReader`'s: validating is
reading every line and keeping only what the read found.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from autoforge_learn.errors import NotFoundError
from autoforge_learn.store.reader import TORN_LINE, LineProblem, RawReader, ReadSummary

__all__ = ["TORN_LINE", "LineProblem", "ValidationReport", "expand_paths", "validate_files"]

#: What a validation run found: the summary of reading the files (see
#: :class:`~autoforge_learn.store.reader.ReadSummary`).
ValidationReport = ReadSummary


def expand_paths(
    paths: Iterable[Path],
    *,
    pattern: str = "*.jsonl",
    problems: list[LineProblem] | None = None,
) -> list[Path]:
    """Files named directly, plus every file matching ``pattern`` below named directories.

    Directories are followed through symbolic links, each real directory once (a link
    back up the tree is a loop, not more files). What cannot be read (an unreadable
    directory, a link loop, a FIFO or device named directly) is added to ``problems``
    (line 0) and passed over, so one bad path never hides the rest of the store.

    Raises:
        NotFoundError: If a named path does not exist.
    """
    found = problems if problems is not None else []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path, pattern, found))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            found.append(LineProblem(path, 0, "file", "not a regular file; not read"))
        else:
            raise NotFoundError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))


def _walk(top: Path, pattern: str, problems: list[LineProblem]) -> list[Path]:
    seen: set[str] = set()
    out: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else top
        problems.append(LineProblem(where, 0, "directory", f"cannot be read: {exc.strerror}"))

    for directory, subdirs, names in os.walk(top, onerror=unreadable, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:
            problems.append(LineProblem(Path(directory), 0, "directory",
                                        "a symbolic link to a directory already read (a loop)"))
            subdirs[:] = []
            continue
        seen.add(real)
        subdirs.sort()
        for name in names:  # os.walk lists a looping or broken link as a plain name
            path = Path(directory) / name
            if path.is_symlink() and not path.exists():
                problems.append(LineProblem(
                    path, 0, "directory", "a symbolic link that leads nowhere (broken or a loop)"
                ))
        for name in sorted(fnmatch.filter(names, pattern)):
            path = Path(directory) / name
            if path.is_file():
                out.append(path)
            elif path.exists():
                problems.append(LineProblem(path, 0, "file", "not a regular file; not read"))
    return out


def validate_files(files: Sequence[Path]) -> ValidationReport:
    """Validate every line of the given JSONL files.

    A line is a problem if it is torn, not JSON, not a valid event, or reuses an
    event_id that an earlier line used for different content. An exact repeat of an
    earlier event is counted as a duplicate, not a problem: re-ingesting is harmless.
    """
    return RawReader(files).read()
