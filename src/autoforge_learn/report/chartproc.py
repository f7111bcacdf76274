"""The report's PNG charts drawn in a second process while this one works on.

Importing matplotlib and drawing the charts take about a second of one core, and
``autoforge train`` leaves the machine's second core idle. A :class:`ChartProcess`
forks at the start of a run, imports matplotlib at once, and waits for the report
data; :meth:`ChartProcess.submit` hands them over and the charts are drawn while this
process renders the HTML page.

Wherever it cannot help it steps aside: without ``fork`` (Windows; macOS, where
forking a process that uses system frameworks is unsafe) it does not start, and if
the child fails or dies, :meth:`ChartProcess.result` returns None and the caller draws
the charts itself (so a real error surfaces there with its traceback). The charts are
the same bytes either way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoforge_learn.report.data import ReportData


class ChartProcess:
    """A child process that draws the PNG charts of one report (see the module)."""

    def __init__(self, process: Any, connection: Any) -> None:
        self._process = process
        self._connection = connection
        self._submitted = False

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

    def submit(self, data: ReportData, directory: Path, *, stem: str) -> bool:
        """Ask the child to draw ``data``'s charts into ``directory``; False if it is gone."""
        try:
            self._connection.send((data, directory, stem))
        except (OSError, ValueError, EOFError):
            return False
        self._submitted = True
        return True

    def result(self) -> dict[str, Path] | None:
        """The charts drawn (chart name -> path), None if the child could not draw them."""
        if not self._submitted:
            return None
        try:
            status, value = self._connection.recv()
        except (OSError, EOFError, ValueError):
            return None
        finally:
            self._submitted = False
        return value if status == "ok" else None

    def close(self) -> None:
        """Let the child go (it ends when told, or when this process ends)."""
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


def _serve(connection: Any) -> None:
    """The child: import the plotting libraries, then draw what is sent until told to stop."""
    try:
        from autoforge_learn.report.charts import _pyplot, render_pngs

        _pyplot()
        while True:
            request = connection.recv()
            if request is None:
                return
            data, directory, stem = request
            try:
                connection.send(("ok", render_pngs(data, directory, stem=stem)))
            except Exception as exc:  # the parent draws them again and reports it
                connection.send(("error", repr(exc)))
    except (KeyboardInterrupt, EOFError, OSError):
        return  # Ctrl-C reaches the whole process group: the parent reports it
