"""A quick look at what a store holds: events per kind, gate pass rate per role."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autoforge_learn.store.layout import StoreLayout, parse_raw_filename
from autoforge_learn.store.validate import iter_checked


@dataclass
class StoreOverview:
    """Counts over every raw file of a store.

    Attributes:
        root: The ``.autoforge`` directory.
        files: Raw JSONL files read.
        projects: Distinct projects with at least one file.
        months: The ``YYYY-MM`` folders, oldest first.
        events: Valid events per kind.
        invalid_lines: Lines that are not valid events (torn, not JSON, invalid).
        gates_by_role: Per agent role, ``(passed, checked)`` gate evaluations.
    """

    root: Path
    files: int = 0
    projects: int = 0
    months: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    invalid_lines: int = 0
    gates_by_role: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def total_events(self) -> int:
        return sum(self.events.values())

    def gate_pass_rates(self) -> list[dict[str, object]]:
        """Rows of role, passed, checked and pass_rate, sorted by role."""
        return [
            {
                "agent_role": role,
                "passed": passed,
                "checked": checked,
                "pass_rate": passed / checked if checked else None,
            }
            for role, (passed, checked) in sorted(self.gates_by_role.items())
        ]

    def to_dict(self) -> dict[str, object]:
        layout = StoreLayout(self.root)
        return {
            "root": str(self.root),
            "raw": str(layout.raw),
            "files": self.files,
            "projects": self.projects,
            "months": self.months,
            "events": dict(sorted(self.events.items())),
            "total_events": self.total_events,
            "invalid_lines": self.invalid_lines,
            "gate_pass_rate_by_role": self.gate_pass_rates(),
        }


def store_overview(root: Path) -> StoreOverview:
    """Read every raw file under ``root`` once and count what it holds."""
    layout = StoreLayout(root)
    files = layout.raw_files()
    overview = StoreOverview(root=layout.root, files=len(files))
    projects = set()
    for path in files:
        parsed = parse_raw_filename(path)
        if parsed:
            projects.add(parsed[0])
    overview.projects = len(projects)
    overview.months = sorted({p.parent.name for p in files})
    passed: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    seen: set[str] = set()
    for _line, event, problems in iter_checked(files):
        if problems or event is None:
            overview.invalid_lines += 1
            continue
        event_id = str(event["event_id"])
        if event_id in seen:
            continue
        seen.add(event_id)
        kind = str(event["kind"])
        overview.events[kind] += 1
        if kind == "gate_evaluation":
            role = str(event.get("agent_role") or "(unknown)")
            checked[role] += 1
            if event.get("validation_result") == "pass":
                passed[role] += 1
    overview.gates_by_role = {role: (passed[role], checked[role]) for role in checked}
    return overview
