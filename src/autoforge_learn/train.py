"""``autoforge train``: the learning loop in one command.

A short composition of the library's steps, each handing a typed value to the next:
refresh the index, load the selected events (:class:`~autoforge_learn.dataset.Dataset`),
label them, aggregate them, detect patterns (:class:`~autoforge_learn.findings.Finding`),
evaluate the feedback loops (:class:`~autoforge_learn.patterns.loops.LoopAction`),
suggest prompt changes (:class:`~autoforge_learn.suggest.Suggestion`), analyse the
running experiments and rollouts (a rollout's rollback or next phase is applied, as by
``autoforge rollout status``) and write the report set
(:class:`~autoforge_learn.report.files.ReportFiles`). Every step covers the same
selection.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import NoDataError

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.experiments.rollout import Overview
    from autoforge_learn.findings import Finding
    from autoforge_learn.patterns.detectproc import DetectorProcess
    from autoforge_learn.patterns.loops import LoopAction
    from autoforge_learn.report import ReportData
    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.report.data import TrendSeries
    from autoforge_learn.report.files import ReportFiles
    from autoforge_learn.selection import Selection
    from autoforge_learn.suggest import Suggestion
    from autoforge_learn.suggest.runs import SuggestRun
    from autoforge_learn.workspace import Workspace

STEPS = ("index", "label", "aggregate", "patterns", "loops", "suggest", "experiments", "report")

#: The metrics charted over time in the report (labels and units from the catalogue).
TREND_METRICS = (
    "gate_failure_rate",
    "avg_retries_per_task",
    "time_to_first_prototype",
    "tokens_per_loc",
    "security_issues_missed_rate",
    "autonomous_decision_confidence",
    "quality_score",
    "cost_per_project",
)

Progress = Callable[[str, int, int], None]


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        findings: Pattern findings (and manual review findings).
        loop_actions: Fired feedback loops.
        suggestions: Suggestions, earlier unapplied ones that were proposed again first.
        files: The report set written.
        suggestions_file: The new suggestions YAML (None when nothing new).
        selection: The selection the run covered.
        projects: Projects in the selection.
        events: Events in the index.
    """

    findings: list[Finding]
    loop_actions: list[LoopAction]
    suggestions: list[Suggestion]
    files: ReportFiles
    suggestions_file: Path | None
    selection: Selection
    projects: int = 0
    events: int = 0

    @property
    def report(self) -> Path:
        """The Markdown report."""
        return self.files.markdown

    @property
    def report_html(self) -> Path:
        """The HTML report."""
        return self.files.html

    @property
    def discoveries(self) -> list[Finding]:
        """The findings whose claims survived the run's false discovery correction."""
        return [f for f in self.findings if str(f.status) == "discovery"]

    def summary(self) -> str:
        """One sentence: projects, discoveries, loops, suggestions."""
        from autoforge_learn.words import plural

        return (
            f"Learned from {plural(self.projects, 'project')} ({plural(self.events, 'event')}): "
            f"{plural(len(self.discoveries), 'discovery', 'discoveries')} among "
            f"{plural(len(self.findings), 'finding')}, "
            f"{plural(len(self.loop_actions), 'feedback loop')} fired, "
            f"{plural(len(self.suggestions), 'suggestion')}."
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``autoforge train --format json`` prints)."""
        severities: dict[str, int] = {}
        for f in self.findings:
            severities[str(f.severity)] = severities.get(str(f.severity), 0) + 1
        return {
            "report": str(self.files.markdown),
            "report_html": str(self.files.html),
            "monthly_report": str(self.files.monthly),
            "metrics_trends": str(self.files.trends),
            "suggestions_file": str(self.suggestions_file) if self.suggestions_file else None,
            "selection": self.selection.to_dict(),
            "findings": len(self.findings),
            "discoveries": len(self.discoveries),
            "findings_by_severity": dict(sorted(severities.items())),
            "loops_fired": [a.loop_id for a in self.loop_actions],
            "suggestions": [s.suggestion_id for s in self.suggestions],
            "projects": self.projects,
            "events": self.events,
        }


#: Modules the steps after the index import (the slowest first). The detectors' own
#: (scipy.cluster) are left to them: findings kept from an earlier run need none.
_LATER_MODULES = (
    "pandas",
    "scipy.special",
    "ibis",
    "ibis.backends.duckdb",
    "matplotlib.pyplot",
    "plotly.graph_objects",
    "autoforge_learn.label.run",
    "autoforge_learn.report.charts",
)


def _import_libraries(*, charts_elsewhere: bool) -> None:
    for name in _LATER_MODULES:
        if charts_elsewhere and name == "matplotlib.pyplot":
            continue  # the chart process imports it
        try:
            if name == "matplotlib.pyplot":
                import matplotlib

                matplotlib.use("Agg")
            importlib.import_module(name)
        except Exception:  # the step that needs it reports the problem itself
            pass
    with contextlib.suppress(Exception):  # this process may run some detectors too
        from autoforge_learn.patterns.detect import import_detectors

        import_detectors()


@dataclass(frozen=True)
class _Helpers:
    """The processes working beside this one (None where none started)."""

    charts: ChartProcess | None
    detectors: DetectorProcess | None


def _index(
    ws: Workspace, progress: Progress | None, *, charts_elsewhere: bool,
    detectors: DetectorProcess | None,
) -> int:
    """Refresh the index (the later steps' libraries import meanwhile, in a thread: the
    build leaves part of a core idle, the imports take seconds of one; and in the
    detector process, which will have work since data changed); return the number of
    events in it."""
    warm_up = threading.Thread(target=_import_libraries, daemon=True,
                               kwargs={"charts_elsewhere": charts_elsewhere})

    def report(done: int, total: int) -> None:
        # The thread starts when reading starts, not before: during the scan of the raw
        # folders it would hold the interpreter lock between thousands of short stat
        # calls and make the scan several times slower (measured: 0.2 s -> 1 s).
        if warm_up.ident is None:
            warm_up.start()
            if detectors is not None:
                detectors.prepare()
        if progress is not None and total:
            progress(f"index ({100 * done // total}% read)", 0, len(STEPS))
        elif progress is None and ws.progress is not None:
            ws.progress(done, total)

    index = ws.refresh(progress=report)
    if warm_up.ident is None:  # nothing to read: no build to overlap
        warm_up.start()
    warm_up.join()
    if not index.events:
        raise NoDataError(
            f"no events under {ws.layout.raw}: record some with the SDK, "
            "`autoforge import chatdev`, or try `autoforge demo`"
        )
    return int(index.events)


def _load(ws: Workspace, selection: Selection) -> Dataset:
    from autoforge_learn.dataset import load_dataset

    data = load_dataset(ws, selection)
    if data.projects.empty:
        raise NoDataError(
            f"no events match the selection ({selection.describe()}): nothing was written"
        )
    return data


def _scope(data: Dataset, selection: Selection) -> str:
    projects = len(data.projects)
    months = sorted({str(m) for m in data.projects["started"].dt.strftime("%Y-%m")})
    scope = f"{projects} projects" + (f", {months[0]} to {months[-1]}" if months else "")
    described = selection.describe()
    return f"{scope} ({described})" if described else scope


def train(
    ws: Workspace,
    selection: Selection | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Run the whole learning loop on the workspace's selected events.

    Args:
        ws: The workspace.
        selection: Which events (default: all). Every step covers exactly these.
        now: The moment of the run (default: now, UTC); names the report files.
        progress: Called with ``(step, done, total)`` as each step starts.

    Raises:
        NoDataError: If the store holds no events, or the selection matches none
            (nothing is written then).
    """
    from autoforge_learn.patterns.detectproc import DetectorProcess
    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.selection import Selection

    selection = selection or Selection()
    now = now or datetime.now(UTC)

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name), len(STEPS))

    # The PNG charts are drawn in a second process (when the system can fork) while
    # this one renders the HTML page, and the detectors run in a third while this one
    # labels and aggregates; both fork now, before the index opens.
    with (
        ChartProcess.start() or contextlib.nullcontext() as charts,
        DetectorProcess.start() or contextlib.nullcontext() as detectors,
    ):
        return _train_steps(ws, selection, now=now, step=step, progress=progress,
                            helpers=_Helpers(charts, detectors))


def _train_steps(
    ws: Workspace, selection: Selection, *, now: datetime, step: Callable[[str], None],
    progress: Progress | None, helpers: _Helpers,
) -> TrainResult:
    """The steps of :func:`train`, in order (the detectors start before the labels, in
    the detector process when there is one, and are waited for after the aggregates)."""
    from autoforge_learn.aggregate import aggregate
    from autoforge_learn.experiments.rollout import overview
    from autoforge_learn.label.run import label_store
    from autoforge_learn.patterns.detect import start_detection
    from autoforge_learn.patterns.loops import evaluate_loops
    from autoforge_learn.report.files import write_report_set
    from autoforge_learn.review import learning_signals
    from autoforge_learn.suggest.store import suggest_run_from_root

    charts = helpers.charts
    step("index")
    events = _index(ws, progress, charts_elsewhere=charts is not None,
                    detectors=helpers.detectors)
    data = _load(ws, selection)
    detection = start_detection(ws, data=data, process=helpers.detectors)
    step("label")
    label_store(ws, selection, data=data)
    step("aggregate")
    aggregated = aggregate(ws, selection).content
    trends = _trends(ws, data, aggregated["trend_analysis"]["months"], selection,
                     now=now, charts=charts)
    step("patterns")
    findings = detection.findings() + learning_signals(ws.root)
    step("loops")
    actions = evaluate_loops(ws, findings, data=data)
    step("suggest")
    run = suggest_run_from_root(ws, findings, now=now)
    suggestions, suggestions_file = run.suggestions, run.path
    step("experiments")
    running = overview(ws, now=now)
    step("report")
    report = _report_data(ws, data, selection, now=now, findings=findings, actions=actions,
                          run=run, running=running, trends=trends, events=events)
    files = write_report_set(ws, report, now=now, selection=selection, charts=charts)
    return TrainResult(
        findings=findings,
        loop_actions=actions,
        suggestions=suggestions,
        files=files,
        suggestions_file=suggestions_file,
        selection=selection,
        projects=len(data.projects),
        events=events,
    )


def _trends(
    ws: Workspace, data: Dataset, months: Any, selection: Selection, *, now: datetime,
    charts: ChartProcess | None,
) -> list[TrendSeries]:
    """The report's monthly series; their chart is drawn at once if a chart process can
    (it needs nothing the later steps compute)."""
    from autoforge_learn.report import ReportData
    from autoforge_learn.report.files import projects_by_month, report_stem, trend_series

    trends = trend_series(months, TREND_METRICS,
                          projects=projects_by_month(data.projects["started"]))
    if charts is not None:
        early = ReportData(title="", generated_at=now.date(), scope="", trends=trends,
                           min_projects=ws.settings.patterns.min_projects)
        charts.submit(early, ws.layout.reports / "assets", stem=report_stem(now, selection),
                      only=["trends"])
    return trends


def _report_data(
    ws: Workspace, data: Dataset, selection: Selection, *, now: datetime,
    findings: list[Finding], actions: list[LoopAction], run: SuggestRun, running: Overview,
    trends: list[TrendSeries], events: int,
) -> ReportData:
    """What the report shows, from the steps' results."""
    from autoforge_learn.findings import CalibrationEvidence
    from autoforge_learn.report import ReportData
    from autoforge_learn.report.trend_tests import check_trend_changes

    started = {str(p): s.strftime("%Y-%m")
               for p, s in zip(data.projects["project_id"], data.projects["started"], strict=True)
               if s == s and s is not None}
    check_trend_changes(ws, trends, started, selection=selection,
                        min_projects=ws.settings.patterns.min_projects)
    return ReportData(
        title=f"AutoForge learning report {now.date().isoformat()}",
        generated_at=now.date(),
        scope=_scope(data, selection),
        findings=findings,
        loop_actions=actions,
        suggestions=run.suggestions,
        set_aside=run.set_aside,
        trends=trends,
        calibration={
            str(f.agent_role): f.evidence.buckets
            for f in findings
            if isinstance(f.evidence, CalibrationEvidence) and f.evidence.buckets
        },
        totals={"projects": len(data.projects), "events": events},
        min_projects=ws.settings.patterns.min_projects,
        experiments=running.experiments,
        rollouts=running.rollouts,
        ended_experiments=running.ended,
    )
