"""Check JSONL event files line by line, with errors as ``file:line: field: message``."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from autoforge_learn.schema.parse import EventError, parse_event
from autoforge_learn.store.jsonl import RawLine, iter_lines

TORN_LINE = "incomplete last line (no newline): a torn or unfinished write"


@dataclass(frozen=True)
class LineProblem:
    """One bad line: where it is and what is wrong."""

    path: Path
    lineno: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "line": self.lineno,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """What a validation run found.

    Attributes:
        files: Files read.
        lines: Non-blank lines read.
        valid: Lines that are valid events (first occurrence of each event_id).
        invalid_lines: Lines that are not valid events.
        kinds: Valid events per kind.
        duplicates: Valid lines whose event_id was already seen with the same content.
        problems: Every bad line.
    """

    files: int = 0
    lines: int = 0
    valid: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    invalid_lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "lines": self.lines,
            "valid": self.valid,
            "invalid": self.invalid_lines,
            "duplicates": self.duplicates,
            "kinds": dict(sorted(self.kinds.items())),
            "problems": [p.to_dict() for p in self.problems],
        }


def expand_paths(paths: Iterable[Path], *, pattern: str = "*.jsonl") -> list[Path]:
    """Files named directly, plus every file matching ``pattern`` below named directories.

    Raises:
        FileNotFoundError: If a named path does not exist.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(pattern) if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))


def check_line(line: RawLine) -> tuple[dict[str, object] | None, list[LineProblem]]:
    """Parse and validate one line: ``(event as JSON, [])`` or ``(None, problems)``."""
    if not line.complete:
        return None, [LineProblem(line.path, line.lineno, "(line)", TORN_LINE)]
    try:
        obj = orjson.loads(line.data)
    except orjson.JSONDecodeError as exc:
        return None, [LineProblem(line.path, line.lineno, "(line)", f"not valid JSON: {exc}")]
    try:
        event = parse_event(obj, text=line.data)
    except EventError as exc:
        return None, [LineProblem(line.path, line.lineno, e.field, e.message) for e in exc.errors]
    return event.model_dump(mode="json"), []


CheckedLine = tuple[RawLine, dict[str, object] | None, list[LineProblem]]


def iter_checked(files: Sequence[Path]) -> Iterator[CheckedLine]:
    """Every non-blank line of ``files`` with its parsed event or its problem."""
    for path in files:
        for line in iter_lines(path):
            event, problems = check_line(line)
            yield line, event, problems


def validate_files(files: Sequence[Path]) -> ValidationReport:
    """Validate every line of the given JSONL files.

    A line is a problem if it is torn, not JSON, not a valid event, or reuses an
    event_id that an earlier line used for different content. An exact repeat of an
    earlier event is counted as a duplicate, not a problem: re-ingesting is harmless.
    """
    report = ValidationReport(files=len(files))
    seen: dict[str, bytes] = {}
    for line, event, problems in iter_checked(files):
        report.lines += 1
        if problems:
            report.invalid_lines += 1
            report.problems.extend(problems)
            continue
        assert event is not None
        event_id = str(event["event_id"])
        body = hashlib.blake2b(
            orjson.dumps(event, option=orjson.OPT_SORT_KEYS), digest_size=16
        ).digest()
        previous = seen.get(event_id)
        if previous is not None:
            if previous == body:
                report.duplicates += 1
            else:
                report.problems.append(
                    LineProblem(
                        line.path,
                        line.lineno,
                        "event_id",
                        f"{event_id!r} was already used by a different event",
                    )
                )
            continue
        seen[event_id] = body
        report.valid += 1
        report.kinds[str(event["kind"])] += 1
    return report
