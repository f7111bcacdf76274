"""Where things live under ``.autoforge/``, and how the root is found."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT_DIRNAME = ".autoforge"
ENV_HOME = "AUTOFORGE_HOME"
CONFIG_FILENAME = "config.yaml"

#: The raw file each kind of event is appended to (execution, gates, feedback).
#: Keyed by the kinds' values (EventKind is a StrEnum): this module must not import the
#: schema, so that commands that only need paths start without loading pydantic.
FILE_FOR_KIND: dict[str, str] = {
    "project_started": "execution",
    "stage_execution": "execution",
    "test_results": "execution",
    "security_scan": "execution",
    "performance_metrics": "execution",
    "project_completed": "execution",
    "experiment_assignment": "execution",
    "gate_evaluation": "gates",
    "downstream_feedback": "feedback",
    "human_approval": "feedback",
    "human_survey": "feedback",
    "escalation": "feedback",
}
RAW_FILE_SUFFIXES = ("execution", "gates", "feedback")

MONTH_DIR = re.compile(r"^\d{4}-\d{2}\Z")
RAW_FILE = re.compile(r"^project_(?P<project>.+)_(?P<suffix>execution|gates|feedback)\.jsonl\Z")


def find_root(start: Path | str | None = None) -> Path:
    """Find the ``.autoforge`` directory the way git finds ``.git``.

    Order: ``start`` when given (the ``.autoforge`` directory itself), then the
    ``AUTOFORGE_HOME`` environment variable, then the nearest ``.autoforge/`` in the
    current directory or above, else ``./.autoforge`` (which need not exist yet).
    """
    if start is not None:
        return Path(start).expanduser().absolute()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().absolute()
    cwd = Path.cwd().absolute()
    for directory in (cwd, *cwd.parents):
        candidate = directory / ROOT_DIRNAME
        if candidate.is_dir():
            return candidate
    return cwd / ROOT_DIRNAME


def _check_id(project_id: str) -> None:
    from autoforge_learn.schema.events import check_safe_id

    check_safe_id(project_id)


def scan_raw_files(
    raw: Path, problems: list[str] | None = None
) -> list[tuple[str, os.stat_result]]:
    """Every raw JSONL file under ``raw`` as ``(YYYY-MM/name, stat)``, by month then name.

    A month directory that cannot be read (no permission, a symbolic link loop) is passed
    over and named in ``problems``: one bad directory never blocks the rest.
    """
    out: list[tuple[str, os.stat_result]] = []
    try:
        months = sorted(
            # a link is kept even when broken or looping: reading it names the problem
            (
                e
                for e in os.scandir(raw)
                if MONTH_DIR.match(e.name) and (e.is_symlink() or _is_dir(e))
            ),
            key=lambda e: e.name,
        )
    except FileNotFoundError:
        return out
    for month in months:
        try:
            entries = sorted(os.scandir(month.path), key=lambda e: e.name)
            for entry in entries:
                if RAW_FILE.match(entry.name) and entry.is_file():
                    out.append((f"{month.name}/{entry.name}", entry.stat()))
        except OSError as exc:
            if problems is not None:
                problems.append(f"{month.path}: cannot be read: {exc.strerror}")
    return out


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def month_of(moment: datetime) -> str:
    """The ``YYYY-MM`` folder name of a moment (in UTC)."""
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass(frozen=True)
class StoreLayout:
    """The paths of one ``.autoforge`` root.

    Attributes:
        root: The ``.autoforge`` directory itself.
    """

    root: Path

    @property
    def training_data(self) -> Path:
        return self.root / "ai" / "training_data"

    @property
    def raw(self) -> Path:
        return self.training_data / "raw"

    @property
    def labeled(self) -> Path:
        return self.training_data / "labeled"

    @property
    def aggregated(self) -> Path:
        return self.training_data / "aggregated"

    @property
    def reports(self) -> Path:
        return self.training_data / "reports"

    @property
    def prompts(self) -> Path:
        return self.root / "ai" / "prompts"

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILENAME

    def month_dir(self, month: str) -> Path:
        if not MONTH_DIR.match(month):
            raise ValueError(f"month {month!r} must look like YYYY-MM")
        return self.raw / month

    def raw_file(self, project_id: str, month: str, suffix: str) -> Path:
        """The raw JSONL file of one project, month and kind group."""
        _check_id(project_id)
        if suffix not in RAW_FILE_SUFFIXES:
            raise ValueError(f"unknown raw file suffix {suffix!r}")
        return self.month_dir(month) / f"project_{project_id}_{suffix}.jsonl"

    def summary_file(self, project_id: str, month: str) -> Path:
        _check_id(project_id)
        return self.month_dir(month) / f"project_{project_id}_summary.json"

    def ensure(self) -> None:
        """Create every directory of the layout."""
        for path in (self.raw, self.labeled, self.aggregated, self.reports, self.prompts):
            path.mkdir(parents=True, exist_ok=True)

    def raw_files(self) -> list[Path]:
        """Every raw JSONL file, sorted by month then name."""
        return [self.raw / rel for rel, _ in scan_raw_files(self.raw)]

    def project_objects(self, project_id: str, month: str) -> Iterator[dict[str, Any]]:
        """The JSON objects of a project's complete raw lines (all three files).

        A lenient look for the writer's side (ids and counts already on disk): torn and
        non-JSON lines are passed over, nothing is validated or deduplicated. Callers
        that need the events, or must report bad lines, read the files with
        :class:`autoforge_learn.store.reader.RawReader` instead.
        """
        for obj, _text in self.project_lines(project_id, month):
            yield obj

    def project_lines(self, project_id: str, month: str) -> Iterator[tuple[dict[str, Any], bytes]]:
        """As :meth:`project_objects`, each object with the line it was read from."""
        import orjson

        from autoforge_learn.store.jsonl import iter_lines

        for suffix in RAW_FILE_SUFFIXES:
            path = self.raw_file(project_id, month, suffix)
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
                    yield obj, line.data

    def project_month(self, project_id: str) -> str | None:
        """The month folder that already holds files of a project (the earliest), if any."""
        _check_id(project_id)
        if not self.raw.is_dir():
            return None
        prefix = f"project_{project_id}_"
        for month in sorted(
            p for p in self.raw.iterdir() if p.is_dir() and MONTH_DIR.match(p.name)
        ):
            for suffix in (*RAW_FILE_SUFFIXES, "summary"):
                ext = "json" if suffix == "summary" else "jsonl"
                if (month / f"{prefix}{suffix}.{ext}").exists():
                    return month.name
        return None


def parse_raw_filename(path: Path) -> tuple[str, str] | None:
    """``(project_id, suffix)`` of a raw file name, or None if it is not one."""
    match = RAW_FILE.match(path.name)
    if match is None:
        return None
    return match["project"], match["suffix"]
