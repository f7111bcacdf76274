"""The report's PNG charts drawn in a second process while this one works on.

Importing matplotlib and drawing the charts take about a second of one core, and
``autoforge train`` leaves the machine's second core idle. A :class:`ChartProcess`
forks at the start of a run, imports matplotlib at once, and draws each chart as soon
as its data are known: the trend panels while the detectors and suggestions run, the
others while this process renders the HTML page.

Wherever it cannot help it steps aside: without ``fork`` (Windows; macOS, where
forking a process that uses system frameworks is unsafe) it does not start, and if
the child fails or dies, :meth:`ChartProcess.result` returns None and the caller draws
the charts itself (so a real error surfaces there with its traceback). The charts are
the same bytes either way.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoforge_learn.report.data import ReportData


class ChartProcess:
    """A child process that draws the PNG charts of one report (see the module)."""

    def __init__(self, process: Any, connection: Any) -> None:
        self._process = process
        self._connection = connection
        self._pending = 0
        self._failed = False
        self._senders: list[threading.Thread] = []
        self._sending = threading.Lock()
        #: The charts asked for so far (None: all of the data's charts).
        self.requested: set[str] | None = set()

    @classmethod
    def start(cls) -> ChartProcess | None:
        """Fork the child; None where forking is unavailable or unsafe, or fails."""
        if sys.platform != "linux" or os.environ.get("AUTOFORGE_CHARTS_IN_PROCESS"):
            return None
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), daemon=True,
                                      name="autoforge-charts")
            process.start()
        except (OSError, ValueError):
            return None
        theirs.close()
        return cls(process, ours)

    def submit(
        self, data: ReportData, directory: Path, *, stem: str,
        only: Collection[str] | None = None,
    ) -> bool:
        """Ask the child to draw ``data``'s charts (or those named in ``only``) into
        ``directory``, as :func:`~autoforge_learn.report.charts.render_pngs` would;
        False if it is gone."""
        from multiprocessing.reduction import ForkingPickler

        if self._failed:
            return False
        # Pickled now (the caller may change the data next), written by a thread: a
        # large request would otherwise wait here until the child is done drawing.
        payload = ForkingPickler.dumps((data, directory, stem, None if only is None else set(only)))
        sender = threading.Thread(target=self._send, args=(payload,), daemon=True)
        sender.start()
        self._senders.append(sender)
        self._pending += 1
        if only is None or self.requested is None:
            self.requested = None
        else:
            self.requested |= set(only)
        return True

    def _send(self, payload: Any) -> None:
        with self._sending:
            try:
                self._connection.send_bytes(payload)
            except (OSError, ValueError, EOFError):
                self._failed = True

    def result(self) -> dict[str, Path] | None:
        """Every chart drawn for the requests so far (chart name -> path), None if the
        child could not draw them all."""
        for sender in self._senders:
            sender.join()
        self._senders.clear()
        if self._failed:
            return None
        drawn: dict[str, Path] = {}
        while self._pending:
            self._pending -= 1
            try:
                status, value = self._connection.recv()
            except (OSError, EOFError, ValueError):
                self._failed = True
                continue
            if status == "ok":
                drawn.update(value)
            else:
                self._failed = True
        return None if self._failed else drawn

    def close(self) -> None:
        """Let the child go (it ends when told, or when this process ends)."""
        for sender in self._senders:
            sender.join(timeout=5)
        try:
            self._connection.send(None)
        except (OSError, ValueError):
            pass
        self._connection.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def __enter__(self) -> ChartProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warm_up(plt: Any) -> None:
    """Draw a small figure with text: matplotlib loads its fonts on the first drawing,
    a few tenths of a second better spent before the report data arrive."""
    import io

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_title("warm-up")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def _serve(connection: Any) -> None:
    """The child: import the plotting libraries, then draw what is sent until told to stop."""
    try:
        from autoforge_learn.report.charts import _pyplot, render_pngs

        _warm_up(_pyplot())
        while True:
            request = connection.recv()
            if request is None:
                return
            data, directory, stem, only = request
            try:
                connection.send(("ok", render_pngs(data, directory, stem=stem, only=only)))
            except Exception as exc:  # the parent draws them again and reports it
                connection.send(("error", repr(exc)))
    except (KeyboardInterrupt, EOFError, OSError):
        return  # Ctrl-C reaches the whole process group: the parent reports it
