"""The SDK's HTTP sink: events go to an ``autoforge serve`` server instead of local files.

``Collector(url=..., token=...)`` builds and validates each event as usual, then hands
it to an :class:`HttpSink`: the caller's thread only appends it to a queue. A background
thread serialises the queue in batches and posts them to ``POST /v1/events``. While the
server cannot be reached (connection refused, timeout, 5xx, 429) batches are appended to
a local spool file (JSON lines, fdatasync'd), and the spool is re-sent with exponential
backoff until the server takes it; a spool left by a process that ended before it could
send it is adopted and re-sent by the next sink started on the same spool directory.
Events carry their ids, and the server counts an id once, so re-sending is always safe.

At exit (``close()``, ``with``, or ``atexit``) the queue is sent, or spooled if the
server is still away: nothing accepted by the sink is lost.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoforge_learn.schema.events import EventBase

log = logging.getLogger(__name__)

#: Statuses worth retrying later; any other error status is a refusal.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HttpSink:
    """Sends events to a server from a background thread, spooling while it is away.

    Args:
        url: The server's base URL (``http://host:8700``).
        token: A write token (``autoforge tokens create --scope write``).
        spool_dir: Where batches wait while the server is away (one file per process).
        batch_size: Events per request.
        flush_interval: Seconds a partial batch waits before it is sent.
        max_backoff: Longest wait, in seconds, between two tries of the spool.
        timeout: Seconds an HTTP request may take.
    """

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        spool_dir: Path,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        max_backoff: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/") + "/v1/events"
        self.token = token
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff
        self.timeout = timeout
        #: Events refused by the server (4xx other than retryable ones), never re-sent.
        self.refused = 0
        self._start()
        self._launch()  # at once: a spool left by an earlier run is re-sent now
        atexit.register(self.close)
        # A forked child starts afresh (the parent's thread and spool are not its own);
        # checked here rather than by a getpid() in every submit.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _restart(ref))

    def _start(self) -> None:
        self._pid = os.getpid()
        self._queue: deque[EventBase] = deque()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._spool_fd: int | None = None
        self._spool_size = 0
        self._backoff = 0.1
        self._next_try = 0.0
        self._client: Any = None

    # -- the caller's side ----------------------------------------------------------------

    def submit(self, event: EventBase) -> None:
        """Queue an event to send (cheap: the caller's thread does nothing else)."""
        queue = self._queue
        queue.append(event)
        if len(queue) >= self.batch_size or self._thread is None:
            if self._thread is None:
                self._launch()
            self._wake.set()

    def _launch(self) -> None:
        self._stop = False
        thread = threading.Thread(target=self._run, name="autoforge-http-sink", daemon=True)
        self._thread = thread
        thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the queue is sent or spooled; True if it emptied in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queue and self._thread is not None and self._thread.is_alive():
            self._wake.set()
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return not self._queue

    def close(self, timeout: float = 30.0) -> None:
        """Send what is queued (spooled if the server is away) and stop the thread."""
        if self._pid != os.getpid() or self._thread is None:
            return
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- the background thread ------------------------------------------------------------

    def _run(self) -> None:
        import httpx

        self._client = httpx.Client(timeout=self.timeout)
        self._open_spool()
        try:
            self._adopt_orphans()
        except OSError:  # pragma: no cover - another sink adopted it first
            log.exception("adopting spooled events")
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            stopping = self._stop
            try:
                if self._spool_size and (stopping or time.monotonic() >= self._next_try):
                    self._drain_spool()
                while self._queue:
                    self._send_or_spool(self._take())
            except Exception:  # pragma: no cover - keep the thread alive for what follows
                log.exception("autoforge HTTP sink")
            if stopping:
                self._close_spool()
                return

    def _take(self) -> bytes:
        lines = []
        for _ in range(min(self.batch_size, len(self._queue))):
            event = self._queue.popleft()
            lines.append(event.__pydantic_serializer__.to_json(event, exclude_none=True))
        return b"\n".join(lines) + b"\n"

    def _post(self, body: bytes) -> bool:
        """Post one batch: True when the server has it (or refused it for good)."""
        headers = {"Content-Type": "application/x-ndjson"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            answer = self._client.post(self.url, content=body, headers=headers)
        except Exception as exc:  # connection refused, reset, timeout...
            log.debug("autoforge server unreachable: %s", exc)
            return False
        if answer.status_code < 300:
            return True
        if answer.status_code in RETRY_STATUSES:
            return False
        self.refused += body.count(b"\n")
        log.error("autoforge server refused %d events (%s): %s", body.count(b"\n"),
                  answer.status_code, answer.text[:500])
        return True

    def _send_or_spool(self, body: bytes) -> None:
        if not self._spool_size and self._post(body):
            return
        self._spool(body)

    def _failed(self) -> None:
        self._next_try = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)

    # -- the spool ------------------------------------------------------------------------

    def _open_spool(self) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"spool-{os.getpid()}-{os.urandom(4).hex()}.jsonl"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held while this sink lives: not an orphan
        self._spool_fd, self._spool_path = fd, path

    def _close_spool(self) -> None:
        """Close the spool; an empty one is removed, a full one stays for the next sink."""
        if self._spool_fd is None:
            return
        if not self._spool_size:
            self._spool_path.unlink(missing_ok=True)
        os.close(self._spool_fd)
        self._spool_fd = None

    def _spool(self, body: bytes) -> None:
        assert self._spool_fd is not None
        if not body:
            return
        if not self._spool_size:
            self._failed()
        view = memoryview(body)
        while view:
            view = view[os.write(self._spool_fd, view) :]
        os.fdatasync(self._spool_fd)
        self._spool_size += len(body)

    def _drain_spool(self) -> None:
        """Re-send the spool in batches; empty it once the server has all of it."""
        assert self._spool_fd is not None
        if not _send_file(self._spool_path, self._post, self.batch_size):
            self._failed()
            return
        os.ftruncate(self._spool_fd, 0)
        self._spool_size = 0
        self._backoff = 0.1

    def _adopt_orphans(self) -> None:
        """Re-send the spool files of sinks that ended before sending them (their lock
        is free); a file the server does not take yet is appended to our spool."""
        for path in sorted(self.spool_dir.glob("spool-*.jsonl")):
            if path == self._spool_path:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its sink is alive
                os.close(fd)
                continue
            try:
                if not _send_file(path, self._post, self.batch_size):
                    data = path.read_bytes()
                    self._spool(data[: data.rfind(b"\n") + 1])
                path.unlink()
            finally:
                os.close(fd)


def _restart(ref: weakref.ref[HttpSink]) -> None:
    sink = ref()
    if sink is not None:
        sink._start()


def _send_file(path: Path, post: Any, batch_size: int) -> bool:
    """Post a spool file's complete lines in batches; False at the first failure (a
    line torn by a crash while it was spooled is left out)."""
    data = path.read_bytes()
    data = data[: data.rfind(b"\n") + 1]
    lines = [line for line in data.split(b"\n") if line.strip()]
    for start in range(0, len(lines), batch_size):
        if not post(b"\n".join(lines[start : start + batch_size]) + b"\n"):
            return False
    return True
