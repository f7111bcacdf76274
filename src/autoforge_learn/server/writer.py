"""Writing validated events to the store, each event once, durable when acknowledged.

The raw files are written by the SDK's own code (:meth:`Collector.record_many`: whole
lines under a per-file lock and ``flock``, so the server, local SDK processes and other
writers never interleave). The same lines go to the journal
(:mod:`autoforge_learn.server.journal`), whose flush makes the batch durable before
the answer; the raw files are flushed at each checkpoint.

Idempotency: the ids of the events the store holds (read from the raw files, then the
journal's replay, at start) are kept in memory; an event whose id is among them is
counted as a duplicate and not written again. One writer (one server process) per store
keeps that record exact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from autoforge_learn.collect.collector import Collector
from autoforge_learn.collect.redact import Redactor, redact_secrets
from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.parse import EventError, parse_line
from autoforge_learn.server.journal import Journal, sync_dir, sync_file
from autoforge_learn.server.seen import SeenIds

log = logging.getLogger(__name__)

#: The journal is emptied (after a flush of the raw files) beyond this size.
CHECKPOINT_BYTES = 64 << 20


@dataclass(frozen=True)
class IngestResult:
    """What a batch did: items received, events written, events already in the store."""

    received: int
    accepted: int
    duplicates: int

    def to_dict(self) -> dict[str, int]:
        """The result as JSON-ready data (the body of a 200 response)."""
        return asdict(self)


class EventWriter:
    """Writes batches of validated events to one store, each event once.

    Args:
        root: The ``.autoforge`` directory.
        redact: Strip secrets from every free-text field of incoming events (the store's
            ``collect.redact_secrets``).
        checkpoint_bytes: Journal size beyond which the raw files are flushed and the
            journal emptied.
    """

    def __init__(
        self, root: Path | str, *, redact: bool = False, checkpoint_bytes: int = CHECKPOINT_BYTES
    ) -> None:
        self.collector = Collector(root, redact=False)
        self.layout = self.collector.layout
        #: Applied to the payload texts of incoming items (``collect.redact_secrets``).
        self.redact: Redactor | None = redact_secrets if redact else None
        self.checkpoint_bytes = checkpoint_bytes
        self.seen = SeenIds.from_store(self.layout)
        self.journal = Journal(self.layout.root / "server" / "journal.jsonl")
        self._lock = threading.Lock()
        self._dirty: set[str] = set()  # raw files written since the last checkpoint
        self._existing: set[str] = set()  # raw files known to exist (directory synced)
        self._created: set[Path] = set()  # raw files created since the last checkpoint
        self.replayed = self._replay()

    def _replay(self) -> int:
        """Write the journal's events that the raw files lack (a crash came between the
        journal's flush and the raw files'); returns how many."""
        events: list[EventBase] = []
        for line in self.journal.lines():
            try:
                event = parse_line(line)
            except EventError:  # pragma: no cover - the journal holds validated lines
                continue
            if event.event_id not in self.seen:
                events.append(event)
        if events:
            log.warning("replaying %d event(s) from %s", len(events), self.journal.path)
            self._append(events)
            self.seen.update(e.event_id for e in events)
        with self._lock:
            self._checkpoint()
        return len(events)

    def write(self, events: Iterable[EventBase]) -> IngestResult:
        """Append the events not yet in the store and return once they are durable; a
        re-sent event (same ``event_id``) is a duplicate and is not written again."""
        events = list(events)
        with self._lock:
            fresh: list[EventBase] = []
            ids: set[str] = set()
            for event in events:
                if event.event_id in ids or event.event_id in self.seen:
                    continue
                ids.add(event.event_id)
                fresh.append(event)
            upto = self._append(fresh) if fresh else self.journal.size
            self.seen.update(ids)
            if self.journal.size > self.checkpoint_bytes:
                self._checkpoint()
        # Outside the lock: concurrent batches share one flush. A duplicate waits too,
        # for the batch that first wrote it may not be durable yet.
        self.journal.sync(upto)
        return IngestResult(len(events), len(fresh), len(events) - len(fresh))

    def _append(self, events: list[EventBase]) -> int:
        for path in {self.collector.path_for(e) for e in events} - self._existing:
            self._existing.add(path)
            self._created.add(Path(path))
        written = self.collector.record_many(events)
        self._dirty.update(written)
        return self.journal.append(b"".join(written.values()))

    def _checkpoint(self) -> None:
        """Flush the raw files written since the last checkpoint (and the directories of
        new ones), then empty the journal. Called with the lock held."""
        for name in self._dirty:
            sync_file(name)
        dirs: set[Path] = set()
        for path in self._created:
            parent = path.parent
            while parent != self.layout.root.parent and parent not in dirs:
                dirs.add(parent)
                parent = parent.parent
        for directory in dirs:
            sync_dir(directory)
        self.journal.reset()
        self._dirty.clear()
        self._created.clear()

    def close(self) -> None:
        """Checkpoint (the journal is left empty) and release the open files."""
        with self._lock:
            self._checkpoint()
        self.journal.close()
        self.collector.close()
