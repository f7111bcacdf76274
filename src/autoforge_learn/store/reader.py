"""The one reader of raw event files: each line parsed once, duplicates and problems counted.

Every command that needs the store's events (validate, the store overview, recompute,
export, review, organize) reads them through :class:`RawReader`, so they all agree on
which lines are events:

* a line is decoded and validated exactly once (:func:`parse_event`), and the event is
  handed out with the line it came from (:class:`RawEvent`: file, line number, bytes);
* the first line with an ``event_id`` is the event; a later line with the same id and
  the same content is an exact duplicate (counted, harmless: re-ingesting happens); a
  later line with the same id and different content is a problem;
* a torn last line, a line that is not JSON, and a line that is not a valid event are
  problems, each a :class:`LineProblem` naming ``file:line: field: message``.

Nothing is dropped without being counted: every non-blank line read is either a valid
event, an exact duplicate or an invalid line (:class:`ReadSummary`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.parse import EventError, parse_event
from autoforge_learn.store.jsonl import RawLine, iter_lines
from autoforge_learn.store.layout import StoreLayout

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


@dataclass(frozen=True, slots=True)
class RawEvent:
    """A valid event and the line it was read from.

    Attributes:
        event: The event, as the model of its kind.
        line: The line: its file, number, byte offset and bytes as the user wrote them.
    """

    event: EventBase
    line: RawLine

    @property
    def path(self) -> Path:
        return self.line.path

    @property
    def lineno(self) -> int:
        return self.line.lineno


@dataclass
class ReadSummary:
    """What a read found. ``lines == valid + duplicates + invalid_lines``.

    Attributes:
        files: Files read.
        lines: Non-blank lines read.
        valid: Valid events (the first line of each event_id).
        kinds: Valid events per kind.
        duplicates: Lines repeating an earlier event exactly (same id, same content).
        invalid_lines: Lines that are not used: torn, not JSON, not a valid event, or
            reusing an earlier event's id for different content.
        problems: Every problem of every invalid line, in the order read.
        last_line: Per file, the number of the last line read (lines a writer appends
            later were not read).
    """

    files: int = 0
    lines: int = 0
    valid: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    invalid_lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    last_line: dict[Path, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no line has a problem (exact duplicates are fine)."""
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


def parse_raw_line(line: RawLine) -> EventBase | list[LineProblem]:
    """Decode and validate one line: the event, or the line's problems (never empty)."""
    if not line.complete:
        return [LineProblem(line.path, line.lineno, "(line)", TORN_LINE)]
    try:
        obj = orjson.loads(line.data)
    except orjson.JSONDecodeError as exc:
        return [LineProblem(line.path, line.lineno, "(line)", f"not valid JSON: {exc}")]
    try:
        # The line's text is passed so that an event written without an id gets the
        # id every other reader (and the index's SQL) derives from the same bytes.
        return parse_event(obj, text=line.data)
    except EventError as exc:
        return [LineProblem(line.path, line.lineno, e.field, e.message) for e in exc.errors]


def content_digest(event: EventBase) -> bytes:
    """A digest of an event's content, equal for equal events however the lines spell them.

    It digests the validated model, so the flat spelling of a gate check, timestamp
    notation and explicit nulls for defaults make no difference, with keys sorted, so
    neither does the order of the fields in the line.
    """
    data = orjson.dumps(event.model_dump(), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).digest()


class RawReader:
    """Reads raw event files once, yielding each event the first time its id appears.

    Iterate to get :class:`RawEvent` values, in file order then line order; everything
    else the read found (duplicates, problems, counts) is in :attr:`summary`, complete
    once the iteration has ended. A reader reads its files once.

    Example::

        reader = RawReader.of_store(root)
        for raw in reader:
            use(raw.event)
        report(reader.summary.problems)
    """

    def __init__(self, files: Sequence[Path]) -> None:
        """Read ``files`` in the order given (see :meth:`of_store` for a whole store)."""
        self.files: list[Path] = list(files)
        self.summary = ReadSummary(files=len(self.files))
        self._started = False
        # event_id -> digest of the first event's content, to tell exact repeats from
        # conflicts without keeping the events themselves.
        self._seen: dict[str, bytes] = {}

    @classmethod
    def of_store(cls, root: Path | str) -> RawReader:
        """A reader of every raw file of the store at ``root``, by month then name."""
        return cls(StoreLayout(Path(root)).raw_files())

    def __iter__(self) -> Iterator[RawEvent]:
        if self._started:
            raise RuntimeError("a RawReader reads its files once; make a new one")
        self._started = True
        return self._read()

    def _read(self) -> Iterator[RawEvent]:
        summary = self.summary
        for path in self.files:
            summary.last_line.setdefault(path, 0)
            for line in iter_lines(path):
                summary.lines += 1
                summary.last_line[path] = line.lineno
                parsed = parse_raw_line(line)
                if isinstance(parsed, list):
                    self._invalid(parsed)
                elif self._first(parsed, line):
                    summary.valid += 1
                    summary.kinds[str(parsed.kind)] += 1
                    yield RawEvent(parsed, line)

    def _invalid(self, problems: list[LineProblem]) -> None:
        self.summary.invalid_lines += 1
        self.summary.problems.extend(problems)

    def _first(self, event: EventBase, line: RawLine) -> bool:
        """True for the first line of an event id; counts or reports a later one."""
        digest = content_digest(event)
        previous = self._seen.get(event.event_id)
        if previous is None:
            self._seen[event.event_id] = digest
            return True
        if previous == digest:
            self.summary.duplicates += 1
        else:
            message = f"{event.event_id!r} was already used by a different event"
            self._invalid([LineProblem(line.path, line.lineno, "event_id", message)])
        return False

    def events(self) -> list[EventBase]:
        """Read to the end; every valid event (first occurrence of each id), in file order."""
        return [raw.event for raw in self]

    def read(self) -> ReadSummary:
        """Read to the end, keeping only the counts and problems; returns :attr:`summary`."""
        for _raw in self:
            pass
        return self.summary
