"""The pattern detectors run in a second process while this one labels and aggregates.

The detectors take seconds of one core (pandas), and so do the labels and aggregates
``autoforge train`` computes before it needs the findings. A
:class:`DetectorProcess` forks at the start of a run (before the index opens, see
:mod:`autoforge_learn.forked`) and imports the detectors' libraries once the index is
being read (data changed: the findings kept from the last run will not do). It is then
sent the loaded events and runs the detectors one after the other (the slowest first);
when this process is done with its own steps it runs detectors too, from the other end
of the list, until the two meet: each detector runs once, in one
of them. The child's findings come back with the stage runs it computed for them (the
feedback loops read those next).

If it does not start, or fails, this process runs what it did not:
the same findings either way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import Pattern
from autoforge_learn.forked import Helper, forking_allowed, serve

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.findings import Finding
    from autoforge_learn.settings import PatternSettings

#: What the detectors import when they run (the slowest first).
_LIBRARIES = (
    "pandas",
    "scipy.stats",
    "scipy.cluster.hierarchy",
    "scipy.spatial.distance",
    "autoforge_learn.dataset",
    "autoforge_learn.patterns.verdicts",
)

#: The order the child takes the detectors in (this process takes them from the back):
#: the slowest first (measured on simulated stores), and first those that read the stage
#: runs, which the child then computes once and sends back for the feedback loops.
_CHILD_FIRST = (
    Pattern.GATE_FAILURE_ROOT_CAUSE,
    Pattern.RETRY_HOTSPOT,
    Pattern.HANDOFF,
    Pattern.TOKEN_EFFICIENCY,
    Pattern.CONFIDENCE_CALIBRATION,
    Pattern.AUTO_FIX_STRATEGY,
    Pattern.HUMAN_OVERRIDE,
    Pattern.RECIPE_EFFECTIVENESS,
)

Found = dict[Pattern, list["Finding"]]


class _Ends:
    """A list of work shared by two processes through shared memory: one takes items
    from the front, the other from the back, under one lock; each item is taken once."""

    def __init__(self, shared: Any) -> None:
        self._shared = shared  # [front, back], synchronized

    def reset(self, size: int) -> None:
        with self._shared.get_lock():
            self._shared[0], self._shared[1] = 0, size - 1

    def take(self, *, front: bool) -> int | None:
        """The next item's position from that end, None when every item is taken."""
        with self._shared.get_lock():
            first, last = self._shared[0], self._shared[1]
            if first > last:
                return None
            if front:
                self._shared[0] = first + 1
                return int(first)
            self._shared[1] = last - 1
            return int(last)


class DetectorProcess(Helper):
    """A child process that runs pattern detectors (see the module)."""

    name = "autoforge-detectors"

    def __init__(self, process: Any, connection: Any, shared: Any) -> None:
        super().__init__(process, connection)
        self._ends = _Ends(shared)
        self._order: list[Pattern] = []
        #: Whether detectors were sent and their findings not taken yet.
        self._busy = False

    @classmethod
    def start(cls) -> DetectorProcess | None:
        """Fork the child; None where forking is unavailable or unsafe, or fails."""
        if not forking_allowed():
            return None
        import multiprocessing

        try:
            shared = multiprocessing.get_context("fork").Array("q", 2)
        except OSError:
            return None
        process: DetectorProcess | None = cls._fork(_serve, shared)
        return process

    def prepare(self) -> None:
        """Have the child import the detectors' libraries now (they will be needed)."""
        self._post("prepare")

    def submit(self, data: Dataset, settings: PatternSettings, patterns: Iterable[Pattern]
               ) -> bool:
        """Have the child start on the detectors of ``patterns`` on ``data``; False if
        it is gone."""
        wanted = set(patterns)
        self._order = [p for p in _CHILD_FIRST if p in wanted]
        self._order += sorted(wanted - set(self._order))
        self._ends.reset(len(self._order))
        # the child waits for it, idle: written at once
        self._busy = self._post(("detect", data, settings, self._order), wait=True)
        return self._busy

    def share(self, run: Callable[[Pattern], list[Finding]]) -> Found:
        """Run detectors here with ``run``, from the back of the list, until every
        detector is taken (by the child or here); their findings by pattern."""
        found: Found = {}
        while (position := self._ends.take(front=False)) is not None:
            pattern = self._order[position]
            found[pattern] = run(pattern)
        return found

    def result(self) -> tuple[Found, Any] | None:
        """The child's findings (not judged yet) by pattern and the stage runs it
        computed (None if none of its detectors read them); None if it failed."""
        self._busy = False
        value: tuple[Found, Any] | None = self._reply()
        return value

    def close(self) -> None:
        """Let the child go; stopped at once if it is still at work (the run ended
        without its findings: an error here, or Ctrl-C)."""
        if self._busy:
            self._process.kill()
        super().close()


def _import_libraries() -> None:
    from autoforge_learn.patterns.detect import import_detectors

    for name in _LIBRARIES:
        importlib.import_module(name)
    import_detectors()


def _serve(connection: Any, shared: Any) -> None:
    """The child: run detectors on what is sent, from the front of the list, until
    told to stop."""
    ends = _Ends(shared)

    def detect(request: Any) -> Any:
        from autoforge_learn.patterns.detect import run_detectors

        if request == "prepare":
            _import_libraries()
            return None
        _kind, data, settings, order = request
        found: Found = {}
        while (position := ends.take(front=True)) is not None:
            found[order[position]] = run_detectors(data, settings, [order[position]])
        return found, data.computed_runs()

    serve(connection, detect)
