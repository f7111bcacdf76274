"""The report's PNG charts drawn in a second process while this one works on.

Importing matplotlib and drawing the charts take about a second of one core, and
``autoforge train`` leaves the machine's second core idle. A :class:`ChartProcess`
forks at the start of a run, imports matplotlib at once, and draws each chart as soon
as its data are known: the trend panels while the detectors and suggestions run, the
others while this process renders the HTML page.

Wherever it cannot help it steps aside (see :mod:`autoforge_learn.forked`): if it
does not start, or the child fails or dies, :meth:`ChartProcess.result` returns None
and the caller draws the charts itself. The charts are the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.forked import Helper, serve

if TYPE_CHECKING:
    from autoforge_learn.report.data import ReportData


class ChartProcess(Helper):
    """A child process that draws the PNG charts of one report (see the module)."""

    name = "autoforge-charts"

    def __init__(self, process: Any, connection: Any) -> None:
        super().__init__(process, connection)
        self._pending = 0
        #: The charts asked for so far (None: all of the data's charts).
        self.requested: set[str] | None = set()

    @classmethod
    def start(cls) -> ChartProcess | None:
        """Fork the child; None where forking is unavailable or unsafe, or fails."""
        process: ChartProcess | None = cls._fork(_serve)
        return process

    def submit(
        self, data: ReportData, directory: Path, *, stem: str,
        only: Collection[str] | None = None,
    ) -> bool:
        """Ask the child to draw ``data``'s charts (or those named in ``only``) into
        ``directory``, as :func:`~autoforge_learn.report.charts.render_pngs` would;
        False if it is gone."""
        if not self._post((data, directory, stem, None if only is None else set(only))):
            return False
        self._pending += 1
        if only is None or self.requested is None:
            self.requested = None
        else:
            self.requested |= set(only)
        return True

    def result(self) -> dict[str, Path] | None:
        """Every chart drawn for the requests so far (chart name -> path), None if the
        child could not draw them all."""
        drawn: dict[str, Path] = {}
        while self._pending:
            self._pending -= 1
            value = self._reply()
            if value is not None:
                drawn.update(value)
        return None if self.failed else drawn


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
    except KeyboardInterrupt:
        return  # Ctrl-C reaches the whole process group: the parent reports it

    def draw(request: Any) -> dict[str, Path]:
        data, directory, stem, only = request
        return render_pngs(data, directory, stem=stem, only=only)

    serve(connection, draw)
