"""Import ChatDev run logs into the store: find the logs, name the projects, write once.

Re-importing is idempotent: event ids are derived from the log file's content and the
event's position in it, and an event whose id is already in the store is not written
again. A log that cannot be parsed is reported (with its name) and the others go on.
A log that is a copy of a run already imported under another project id (same start
stamp and same records after the header, e.g. ``ExpenseEase_... 2.log``) is skipped as a
duplicate, so a run is never counted twice.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.collect.collector import Collector
from autoforge_learn.errors import NotFoundError
from autoforge_learn.importers.chatdev.configs import CONFIG_FILES, ChatDevConfigs
from autoforge_learn.importers.chatdev.outcome import LogClock
from autoforge_learn.importers.chatdev.parse_log import ChatDevParseError, parse_log
from autoforge_learn.importers.chatdev.to_events import emit_run
from autoforge_learn.importers.prices import PriceTable
from autoforge_learn.schema.events import EventBase, ProjectCompleted, check_safe_id
from autoforge_learn.schema.parse import EventError
from autoforge_learn.store.jsonl import iter_lines
from autoforge_learn.store.layout import RAW_FILE_SUFFIXES, StoreLayout, find_root

_COPY_SUFFIX = re.compile(r"^(?P<stem>.*?) (?P<n>\d+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class LogResult:
    """What importing one log did."""

    file: str
    project_id: str | None = None
    status: str = "imported"  # imported | already_present | duplicate | failed
    events: int = 0
    already_present: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens: int | None = None
    cost: float | None = None
    cost_estimated: bool | None = None
    project_success: str | None = None
    duplicate_of: str | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ImportReport:
    """What an import run did, per log and in total."""

    logs: list[LogResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[LogResult]:
        return [r for r in self.logs if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def totals(self) -> dict[str, Any]:
        done = [r for r in self.logs if r.status in ("imported", "already_present")]
        costs = [r.cost for r in done if r.cost is not None]
        return {
            "logs": len(self.logs),
            "projects": len({r.project_id for r in done}),
            "imported": sum(r.status == "imported" for r in self.logs),
            "already_present": sum(r.status == "already_present" for r in self.logs),
            "duplicates": sum(r.status == "duplicate" for r in self.logs),
            "failed": len(self.failed),
            "events": sum(r.events for r in self.logs),
            "tokens": sum(r.tokens or 0 for r in done),
            "cost": round(sum(costs), 6) if costs else None,
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.totals(), "results": [r.to_dict() for r in self.logs]}


def find_logs(paths: Iterable[Path]) -> list[Path]:
    """The ``.log`` files named, or found below the directories named, in a stable order.

    Raises:
        NotFoundError: If a path does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            logs = (p for p in path.rglob("*.log") if p.is_file())
            found.extend(sorted(logs, key=lambda p: (str(p.parent), *_log_order(p))))
        elif path.is_file():
            found.append(path)
        else:
            raise NotFoundError(f"{path}: no such file or directory")
    return list(dict.fromkeys(found))


def _safe(text: str) -> str:
    out = _UNSAFE.sub("_", text).strip("._-")
    out = re.sub(r"_{2,}", "_", out).replace("..", ".")
    return out[:120] or "run"


def _log_order(path: Path) -> tuple[bool, str]:
    # The original first, its Finder copies (``name 2.log``) after it.
    return (_COPY_SUFFIX.match(path.stem) is not None, path.name)


def is_run_folder(folder: Path) -> bool:
    """A ChatDev WareHouse folder: it holds the run's config files, meta.txt or prompt."""
    names = {*CONFIG_FILES.values(), "meta.txt"}
    return any((folder / n).is_file() for n in names) or any(folder.glob("*.prompt"))


def project_id_for(log: Path) -> str:
    """A safe project id: the run folder's name (the log's name for loose logs).

    When a run folder holds several logs, the first (not a ``name 2.log`` copy) takes the
    folder's name and the others get ``_<n>`` (the copy number) or ``_<log name>``.
    """
    folder = log.parent
    if not is_run_folder(folder):
        return check_safe_id(_safe(log.stem))
    logs = sorted((p for p in folder.glob("*.log") if p.is_file()), key=_log_order)
    base = _safe(folder.name)
    if not logs or logs[0] == log:
        return check_safe_id(base)
    copy = _COPY_SUFFIX.match(log.stem)
    suffix = copy["n"] if copy else _safe(log.stem)
    return check_safe_id(f"{base}_{suffix}"[:128])


def _organization(log: Path, project_name: str | None) -> str | None:
    for name in (log.stem, log.parent.name):
        match = re.match(r"^(?P<rest>.+)_(?P<stamp>\d{14})$", name.strip())
        if not match:
            continue
        rest = match["rest"]
        if project_name and rest.startswith(project_name + "_"):
            return rest[len(project_name) + 1 :].strip() or None
        if "_" in rest:
            return rest.rsplit("_", 1)[1].strip() or None
    return None


class _ImportCollector(Collector):
    """A collector that holds events until :meth:`commit` and skips ids already stored."""

    def __init__(self, root: Path, clock: LogClock, id_factory: Callable[[], str]) -> None:
        super().__init__(root, clock=clock, id_factory=id_factory, redact=None)
        self.pending: list[EventBase] = []
        self.outcome: ProjectCompleted | None = None

    def record(self, event: EventBase) -> EventBase:
        self.pending.append(event)
        return event

    def write_summary(self, project_id: str, *, outcome: ProjectCompleted) -> Path:
        self.outcome = outcome
        return self.layout.summary_file(project_id, self._month_for(project_id, outcome.timestamp))

    def stored_ids(self, project_id: str) -> set[str]:
        ids: set[str] = set()
        month = self.layout.project_month(project_id)
        if month is None:
            return ids
        for suffix in RAW_FILE_SUFFIXES:
            path = self.layout.raw_file(project_id, month, suffix)
            if path.exists():
                for line in iter_lines(path):
                    if line.complete:
                        try:
                            ids.add(str(orjson.loads(line.data).get("event_id")))
                        except (orjson.JSONDecodeError, AttributeError):
                            continue
        return ids

    def commit(self, project_id: str) -> tuple[int, int]:
        """Write the held events not yet stored; returns ``(written, already_present)``."""
        stored = self.stored_ids(project_id)
        written = skipped = 0
        for event in self.pending:
            if event.event_id in stored:
                skipped += 1
                continue
            super().record(event)
            written += 1
        if self.outcome is not None:
            super().write_summary(project_id, outcome=self.outcome)
        self.pending.clear()
        return written, skipped


def _stored_fingerprints(layout: StoreLayout) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in layout.raw_files():
        if not path.name.endswith("_execution.jsonl"):
            continue
        for line in iter_lines(path):
            if b"chatdev_run_fingerprint" in line.data and line.complete:
                try:
                    obj = orjson.loads(line.data)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(obj, dict) and obj.get("chatdev_run_fingerprint"):
                    out.setdefault(str(obj["chatdev_run_fingerprint"]), str(obj["project_id"]))
    return out


def import_log(
    log: Path, *, root: Path, prices: PriceTable, fingerprints: dict[str, str]
) -> LogResult:
    """Import one log; never raises for a bad log (the result says what went wrong)."""
    result = LogResult(file=str(log))
    try:
        run = parse_log(log)
        project_id = project_id_for(log)
    except (ChatDevParseError, ValueError, OSError) as exc:
        result.status, result.error = "failed", str(exc)
        if str(log) not in result.error:
            result.error = f"{log}: {result.error}"
        return result
    result.project_id = project_id
    owner = fingerprints.get(run.fingerprint)
    if owner is not None and owner != project_id:
        result.status, result.duplicate_of = "duplicate", owner
        result.problems.append(f"same run as project {owner}: skipped, not counted twice")
        return result
    counter = iter(range(1_000_000))
    key = hashlib.sha256(f"chatdev:{run.sha256}".encode()).hexdigest()[:24]
    clock = LogClock(run.start)
    collector = _ImportCollector(root, clock, lambda: f"chatdev-{key}-{next(counter):05d}")
    configs = ChatDevConfigs.load(log.parent)
    identity = {
        "project_name": run.project_name,
        "organization": _organization(log, run.project_name),
        "chatdev_folder": log.parent.name,
        "chatdev_log": log.name,
    }
    try:
        figures = emit_run(
            collector,
            clock,
            run,
            project_id=project_id,
            configs=configs,
            prices=prices,
            identity={k: v for k, v in identity.items() if v is not None},
        )
        written, skipped = collector.commit(project_id)
    except (EventError, ValueError, OSError) as exc:
        result.status, result.error = "failed", f"{log}: cannot import: {exc}"
        return result
    finally:
        collector.close()
    fingerprints.setdefault(run.fingerprint, project_id)
    result.events, result.already_present = written, skipped
    if written == 0 and skipped:
        result.status = "already_present"
    result.prompt_tokens, result.completion_tokens = (
        figures.prompt_tokens,
        figures.completion_tokens,
    )
    result.tokens, result.cost = figures.tokens, figures.cost
    result.cost_estimated, result.project_success = figures.cost_estimated, figures.project_success
    result.problems.extend(run.problems)
    result.problems.extend(figures.problems)
    return result


def import_chatdev(
    paths: Sequence[Path | str],
    *,
    root: Path | str | None = None,
    prices: PriceTable | None = None,
    price_files: Sequence[Path] = (),
    on_log: Callable[[Path, LogResult], None] | None = None,
) -> ImportReport:
    """Import ChatDev run logs (files, run folders, or folders of run folders).

    Args:
        paths: Log files or directories searched recursively for ``*.log``.
        root: The ``.autoforge`` directory (found as usual when None).
        prices: The price table; default: built-in prices, ``<root>/prices.yaml``,
            then ``price_files``.
        price_files: Extra price files (YAML), applied in order.
        on_log: Called after each log (for progress display).

    Returns:
        The report; ``report.ok`` is False if any log failed.

    Raises:
        NotFoundError: If a named path does not exist.
        PriceFileError: If a price file is malformed.
    """
    started = time.perf_counter()
    store_root = find_root(root)
    table = prices or PriceTable.load(store_root, *price_files)
    logs = find_logs(Path(p) for p in paths)
    layout = StoreLayout(store_root)
    fingerprints = _stored_fingerprints(layout)
    report = ImportReport()
    for log in logs:
        result = import_log(log, root=store_root, prices=table, fingerprints=fingerprints)
        report.logs.append(result)
        if on_log is not None:
            on_log(log, result)
    report.seconds = time.perf_counter() - started
    return report
