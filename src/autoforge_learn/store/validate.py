"""Check JSONL event files line by line, with errors as ``file:line: field: message``.

The checking itself is :class:`~autoforge_learn.store.reader.RawReader`'s: validating is
reading every line and keeping only what the read found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from autoforge_learn.errors import NotFoundError
from autoforge_learn.store.reader import TORN_LINE, LineProblem, RawReader, ReadSummary

__all__ = ["TORN_LINE", "LineProblem", "ValidationReport", "expand_paths", "validate_files"]

#: What a validation run found: the summary of reading the files (see
#: :class:`~autoforge_learn.store.reader.ReadSummary`).
ValidationReport = ReadSummary


def expand_paths(paths: Iterable[Path], *, pattern: str = "*.jsonl") -> list[Path]:
    """Files named directly, plus every file matching ``pattern`` below named directories.

    Raises:
        NotFoundError: If a named path does not exist.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(pattern) if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise NotFoundError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))


def validate_files(files: Sequence[Path]) -> ValidationReport:
    """Validate every line of the given JSONL files.

    A line is a problem if it is torn, not JSON, not a valid event, or reuses an
    event_id that an earlier line used for different content. An exact repeat of an
    earlier event is counted as a duplicate, not a problem: re-ingesting is harmless.
    """
    return RawReader(files).read()
