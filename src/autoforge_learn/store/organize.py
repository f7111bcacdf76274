"""File JSONL events written elsewhere into the store's layout, by project and month.

Sources are only read. Each valid line is appended to the project's file for its kind,
as the user wrote it, gaining only the envelope fields it lacked (``event_id``,
``kind``, ``schema_version``). Events whose id is already in the store, or earlier in
the sources, are skipped, so a second run adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.schema.parse import identity_fields
from autoforge_learn.store.jsonl import JsonlAppender, iter_lines
from autoforge_learn.store.layout import FILE_FOR_KIND, StoreLayout, month_of
from autoforge_learn.store.validate import LineProblem, expand_paths, iter_checked


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


def _store_event_ids(layout: StoreLayout, project_id: str, month: str) -> set[str]:
    ids: set[str] = set()
    for suffix in set(FILE_FOR_KIND.values()):
        path = layout.raw_file(project_id, month, suffix)
        if not path.exists():
            continue
        for line in iter_lines(path):
            if not line.complete:
                continue
            try:
                obj = orjson.loads(line.data)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                event_id = obj.get("event_id") or identity_fields(obj).get("event_id")
                if event_id:
                    ids.add(str(event_id))
    return ids


def organize(sources: Sequence[Path], *, root: Path, dry_run: bool = False) -> OrganizeReport:
    """File the events of ``sources`` (files or directories of ``*.jsonl``) into ``root``.

    Args:
        sources: JSONL files, or directories searched recursively for ``*.jsonl``.
        root: The ``.autoforge`` directory to file into.
        dry_run: Count what would be filed, write nothing.

    Returns:
        The report; its ``problems`` list every line that was not filed and why.

    Raises:
        FileNotFoundError: If a source does not exist.
    """
    layout = StoreLayout(root)
    files = expand_paths(sources)
    report = OrganizeReport(files=len(files))
    by_project: dict[str, list[tuple[dict[str, Any], str, datetime]]] = defaultdict(list)
    for line, event, problems in iter_checked(files):
        report.lines += 1
        if problems:
            report.problems.extend(problems)
            continue
        assert event is not None
        original = orjson.loads(line.data)
        stored = {**identity_fields(original), **original}
        moment = datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
        by_project[str(event["project_id"])].append((stored, str(event["kind"]), moment))

    appender = JsonlAppender()
    try:
        for project_id, events in sorted(by_project.items()):
            month = layout.project_month(project_id) or month_of(min(m for _, _, m in events))
            seen = _store_event_ids(layout, project_id, month)
            batches: dict[Path, list[dict[str, Any]]] = defaultdict(list)
            for stored, kind, _ in events:
                event_id = str(stored["event_id"])
                if event_id in seen:
                    report.already_present += 1
                    continue
                seen.add(event_id)
                batches[layout.raw_file(project_id, month, FILE_FOR_KIND[kind])].append(stored)
            for path, objects in batches.items():
                if not dry_run:
                    appender.append_objects(path, objects)
                report.filed += len(objects)
                rel = str(path.relative_to(layout.root))
                report.written[rel] = report.written.get(rel, 0) + len(objects)
    finally:
        appender.close()
    return report
