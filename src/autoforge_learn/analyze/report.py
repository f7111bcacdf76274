"""What a refresh of the index reports: counts, and the lines it left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autoforge_learn.errors import AutoforgeError


@dataclass(frozen=True)
class Issue:
    """One line left out of the index."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class IndexReport:
    """What one refresh of the index did, and the invalid lines it holds."""

    engine: str
    files: int = 0
    files_read: int = 0
    files_reloaded: int = 0
    files_removed: int = 0
    bytes_read: int = 0
    events_added: int = 0
    duplicates: int = 0
    events: int = 0
    seconds: float = 0.0
    #: What the index holds, as a digest of every raw file's state in it (path, size,
    #: bytes read, head and tail hashes) and the index format: equal digests, equal
    #: events. Empty before the refresh has run.
    fingerprint: str = ""
    new_issues: list[Issue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()
               if k not in ("new_issues", "issues", "fingerprint")}
        out["issues"] = [str(i) for i in self.issues]
        return out


class InvalidLinesError(AutoforgeError):
    """Raised in strict mode when the index left out invalid lines."""

    def __init__(self, report: IndexReport):
        self.report = report
        lines = "\n".join(str(i) for i in report.issues[:50])
        more = len(report.issues) - 50
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(f"{len(report.issues)} invalid line(s) in the raw data:\n{lines}{tail}")


__all__ = ["IndexReport", "InvalidLinesError", "Issue"]
