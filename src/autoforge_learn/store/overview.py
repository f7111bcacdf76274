"""A quick look at what a store holds: events per kind, gate pass rate per role."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autoforge_learn.schema.events import GateEvaluation
from autoforge_learn.store.layout import StoreLayout, parse_raw_filename
from autoforge_learn.store.reader import RawReader


@dataclass
class StoreOverview:
    """Counts over every raw file of a store.

    Attributes:
        root: The ``.autoforge`` directory.
        files: Raw JSONL files read.
        projects: Distinct projects with at least one file.
        months: The ``YYYY-MM`` folders, oldest first.
        events: Valid events per kind.
        invalid_lines: Lines that are not valid events (torn, not JSON, invalid, or
            reusing an event_id for different content).
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
    reader = RawReader.of_store(root)
    overview = StoreOverview(root=StoreLayout(root).root, files=len(reader.files))
    overview.projects = len({p[0] for p in map(parse_raw_filename, reader.files) if p})
    overview.months = sorted({p.parent.name for p in reader.files})
    passed: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for raw in reader:
        if isinstance(raw.event, GateEvaluation):
            role = raw.event.agent_role or "(unknown)"
            checked[role] += 1
            if raw.event.validation_result == "pass":
                passed[role] += 1
    overview.events = reader.summary.kinds
    overview.invalid_lines = reader.summary.invalid_lines
    overview.gates_by_role = {role: (passed[role], checked[role]) for role in checked}
    return overview
