"""File JSONL events written elsewhere into the store's layout, by project and month.

Sources are only read. Each valid line is appended to the project's file for its kind,
byte for byte as the user wrote it, gaining only the envelope fields it lacked
(``event_id``, ``kind``, ``schema_version``), put first. Events whose id is already in
the store, or earlier in the sources, are skipped, so a second run adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.schema.parse import identity_fields, infer_kind
from autoforge_learn.store.jsonl import JsonlAppender, iter_lines
from autoforge_learn.store.layout import FILE_FOR_KIND, StoreLayout, month_of
from autoforge_learn.store.reader import LineProblem, RawReader
from autoforge_learn.store.validate import expand_paths


@dataclass
class OrganizeReport:
    """What an organize run did.

    Attributes:
        files: Source files read.
        lines: Non-blank source lines read.
        filed: Events appended to the store.
        already_present: Events skipped because their id was in the store or repeated.
        written: Events filed per store file.
        problems: Bad source lines (left where they are, not filed).
    """

    files: int = 0
    lines: int = 0
    filed: int = 0
    already_present: int = 0
    written: dict[str, int] = field(default_factory=dict)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "lines": self.lines,
            "filed": self.filed,
            "already_present": self.already_present,
            "written": dict(sorted(self.written.items())),
            "problems": [p.to_dict() for p in self.problems],
        }


# Lines appended to one file per locked write.
_BATCH = 2000


def _store_event_ids(layout: StoreLayout, project_id: str, month: str) -> set[str]:
    # Every id the store's files hold, valid event or not: a line is never filed twice.
    ids: set[str] = set()
    for obj, text in layout.project_lines(project_id, month):
        event_id = obj.get("event_id") or identity_fields(obj, text=text).get("event_id")
        if event_id:
            ids.add(str(event_id))
    return ids


def with_envelope(data: bytes, added: dict[str, Any]) -> bytes:
    """A JSON object's line as the user wrote it, with ``added`` fields put first.

    Every byte of the user's line is kept (spacing, key order, number spelling); only
    the members of ``added`` are inserted after the opening brace.
    """
    if not added:
        return data
    brace = data.index(b"{") + 1
    # The object is a valid event, so it has members: a comma always follows ours.
    return data[:brace] + orjson.dumps(added)[1:-1] + b"," + data[brace:]


@dataclass
class _Checked:
    """What the first pass over the sources found."""

    months: dict[str, str]
    skip: set[tuple[Path, int]]
    last_line: dict[Path, int]


def _check_sources(files: Sequence[Path], layout: StoreLayout, report: OrganizeReport) -> _Checked:
    """Validate every source line once; find each project's month and the lines to leave."""
    reader = RawReader(files)
    first_seen: dict[str, datetime] = {}
    for raw in reader:
        project_id, moment = raw.event.project_id, raw.event.timestamp
        if project_id not in first_seen or moment < first_seen[project_id]:
            first_seen[project_id] = moment
    summary = reader.summary
    report.lines = summary.lines
    report.problems.extend(summary.problems)
    months = {
        project_id: layout.project_month(project_id) or month_of(moment)
        for project_id, moment in first_seen.items()
    }
    skip = {(p.path, p.lineno) for p in summary.problems}
    return _Checked(months=months, skip=skip, last_line=summary.last_line)


def organize(sources: Sequence[Path], *, root: Path, dry_run: bool = False) -> OrganizeReport:
    """File the events of ``sources`` (files or directories of ``*.jsonl``) into ``root``.

    Two passes over the sources keep memory flat on large inputs: the first validates
    every line (:class:`~autoforge_learn.store.reader.RawReader`) and finds each
    project's first month, the second appends the valid lines in batches. A line that
    reuses an earlier source line's event_id for different content is a problem, not
    filed; an exact repeat is counted as already present.

    Args:
        sources: JSONL files, or directories searched recursively for ``*.jsonl``.
        root: The ``.autoforge`` directory to file into.
        dry_run: Count what would be filed, write nothing.

    Returns:
        The report; its ``problems`` list every line that was not filed and why.

    Raises:
        NotFoundError: If a source does not exist.
    """
    layout = StoreLayout(root)
    unread: list[LineProblem] = []
    files = expand_paths(sources, problems=unread)
    report = OrganizeReport(files=len(files))
    report.problems.extend(unread)
    checked = _check_sources(files, layout, report)
    seen: dict[str, set[str]] = {}
    batches: dict[Path, list[bytes]] = defaultdict(list)
    appender = JsonlAppender()

    def flush(path: Path) -> None:
        lines = batches.pop(path)
        if not dry_run:
            appender.append(path, b"\n".join(lines) + b"\n")
        report.filed += len(lines)
        rel = str(path.relative_to(layout.root))
        report.written[rel] = report.written.get(rel, 0) + len(lines)

    try:
        for path in files:
            for line in iter_lines(path):
                # Lines a live writer appended after the first pass were never checked.
                if line.lineno > checked.last_line.get(path, 0):
                    break
                if (path, line.lineno) in checked.skip:
                    continue
                # Checked in the first pass: decoding again only routes the line (the
                # first pass keeps nothing per line, to keep memory flat).
                original = orjson.loads(line.data)
                added = identity_fields(original, text=line.data)
                stored = {**added, **original}
                project_id = str(stored["project_id"])
                month = checked.months[project_id]
                if project_id not in seen:
                    seen[project_id] = _store_event_ids(layout, project_id, month)
                event_id = str(stored["event_id"])
                if event_id in seen[project_id]:
                    report.already_present += 1
                    continue
                seen[project_id].add(event_id)
                # A null kind is one the fields tell, as the parser reads it.
                kind = stored["kind"] if stored.get("kind") is not None else infer_kind(stored)
                target = layout.raw_file(project_id, month, FILE_FOR_KIND[str(kind)])
                batches[target].append(with_envelope(line.data, added))
                if len(batches[target]) >= _BATCH:
                    flush(target)
        for target in list(batches):
            flush(target)
    finally:
        appender.close()
    return report
