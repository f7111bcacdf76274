"""``autoforge train``: the learning loop in one command (spec 8.3).

Steps, each reported to a progress callback: refresh the index, label (spec 3.1),
aggregate (spec 2.3), detect patterns (4.1), evaluate feedback loops (5.1), suggest
prompt changes (6.1), and write the learning report:

* ``ai/reports/training_<date>.md`` and ``.html`` (spec 8.3);
* ``ai/training_data/reports/YYYY-MM-learning_report.md`` and ``metrics_trends.json``
  (spec 2.3);
* the suggestions YAML (``ai/training_data/reports/suggestions_<date>.yaml``).
"""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autoforge_learn.patterns.findings import Finding, Pattern
from autoforge_learn.store.jsonl import write_json_atomic
from autoforge_learn.store.layout import StoreLayout

STEPS = ("index", "label", "aggregate", "patterns", "loops", "suggest", "report")

#: Trend series of the report: metric -> (label, unit, lower is better).
TREND_SERIES: dict[str, tuple[str, str, bool]] = {
    "gate_failure_rate": ("Gate failure rate", "ratio", True),
    "avg_retries_per_task": ("Avg retries per task", "count", True),
    "time_to_first_prototype": ("Time to first prototype", "seconds", True),
    "tokens_per_loc": ("Tokens per line of code", "tokens", True),
    "security_issues_missed_rate": ("Security issues missed", "ratio", True),
    "autonomous_decision_confidence": ("Autonomous decision confidence", "ratio", False),
    "quality_score": ("Quality score", "score", False),
    "cost_per_project": ("Cost per project", "usd", True),
}

Progress = Callable[[str, int, int], None]


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        findings: Pattern findings.
        loop_actions: Fired feedback loops.
        suggestions: Suggestions (spec 6.1 dicts), earlier unapplied ones included.
        report: The Markdown report (``ai/reports/training_<date>.md``).
        report_html: The HTML report.
        monthly_report: ``reports/YYYY-MM-learning_report.md``.
        trends_file: ``reports/metrics_trends.json``.
        suggestions_file: The new suggestions YAML (None when nothing new).
        counts: Projects and events covered.
    """

    findings: list[Finding]
    loop_actions: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]
    report: Path
    report_html: Path
    monthly_report: Path
    trends_file: Path
    suggestions_file: Path | None
    counts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        severities: dict[str, int] = {}
        for f in self.findings:
            severities[str(f.severity)] = severities.get(str(f.severity), 0) + 1
        return {
            "report": str(self.report),
            "report_html": str(self.report_html),
            "monthly_report": str(self.monthly_report),
            "metrics_trends": str(self.trends_file),
            "suggestions_file": str(self.suggestions_file) if self.suggestions_file else None,
            "findings": len(self.findings),
            "findings_by_severity": dict(sorted(severities.items())),
            "loops_fired": [a.get("loop_id") for a in self.loop_actions],
            "suggestions": [s["suggestion_id"] for s in self.suggestions],
            **self.counts,
        }


def _trends(aggregated: dict[str, Any], metrics: dict[str, tuple[str, str, bool]]) -> list[Any]:
    from autoforge_learn.report import TrendSeries

    months = aggregated["trend_analysis"]["months"]
    series = []
    for metric, (label, unit, lower) in metrics.items():
        points = [(row["month"], row.get(metric)) for row in months]
        series.append(TrendSeries(metric, label, unit, points, lower_is_better=lower))
    return series


def _calibration(findings: list[Finding]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for f in findings:
        if f.pattern == Pattern.CONFIDENCE_CALIBRATION and f.evidence.get("buckets"):
            out[f.key.get("agent_role", f.id)] = list(f.evidence["buckets"])
    return out


#: Modules the steps after the index import (the slowest first).
_LATER_MODULES = (
    "pandas",
    "scipy.stats",
    "ibis",
    "ibis.backends.duckdb",
    "matplotlib.pyplot",
    "plotly.graph_objects",
    "autoforge_learn.patterns.detect",
    "autoforge_learn.label.run",
    "autoforge_learn.report.charts",
)


def _import_libraries() -> None:
    for name in _LATER_MODULES:
        try:
            if name == "matplotlib.pyplot":
                import matplotlib

                matplotlib.use("Agg")
            importlib.import_module(name)
        except Exception:  # the step that needs it reports the problem itself
            pass


def _index_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    """The index step's share of ``progress``: its name with the percentage read."""
    if progress is None:
        return None
    done_before = STEPS.index("index")

    def report(done: int, total: int) -> None:
        if total:
            progress(f"index ({100 * done // total}% read)", done_before, len(STEPS))

    return report


def train(
    root: Path | str,
    *,
    engine: str | None = None,
    last_projects: int | None = None,
    since: str | None = None,
    recipe: str | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Run the whole learning loop on the store under ``root``.

    Args:
        root: The ``.autoforge`` directory.
        engine: Analytics engine (default: the embedded DuckDB index).
        last_projects: Only the N most recently started projects.
        since: Only events at or after this date.
        recipe: Only projects of this recipe (or recipe family).
        now: The moment of the run (default: now, UTC); names the report files.
        progress: Called with ``(step, done, total)`` as each step starts.

    Raises:
        ValueError: If the store holds no events.
    """
    from autoforge_learn.aggregate import aggregate
    from autoforge_learn.analyze.ingest import build_index
    from autoforge_learn.label.run import label_store
    from autoforge_learn.patterns.data import load_dataset
    from autoforge_learn.patterns.detect import detect_patterns
    from autoforge_learn.patterns.loops import evaluate_loops
    from autoforge_learn.patterns.source import events_table
    from autoforge_learn.report import ReportData, render_html, render_markdown
    from autoforge_learn.review import learning_signals
    from autoforge_learn.suggest import suggest_from_root

    layout = StoreLayout(Path(root))
    now = now or datetime.now(UTC)

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name), len(STEPS))

    step("index")
    # The libraries of the later steps load in a thread while the index is built: the
    # build leaves part of a core idle, the imports take seconds of one.
    warm_up = threading.Thread(target=_import_libraries, daemon=True)
    warm_up.start()
    index = build_index(layout.root, engine=engine, progress=_index_progress(progress))
    warm_up.join()
    events = index.events if isinstance(index.events, int) else sum(index.events.values())
    if not events:
        raise ValueError(
            f"no events under {layout.raw}: record some with the SDK, "
            "`autoforge import chatdev`, or try `autoforge demo`"
        )
    step("label")
    # The index is fresh: every later step reads this one table, none refreshes again.
    table = events_table(layout.root, engine, refresh=False)
    data = load_dataset(
        layout.root,
        engine=engine,
        since=since,
        last_projects=last_projects,
        recipe=recipe,
        table=table,
    )
    # Labels cover every event; the selection applies to what is learned from them.
    unfiltered = since is None and last_projects is None and recipe is None
    label_store(layout.root, engine=engine, data=data if unfiltered else None, table=table)
    step("aggregate")
    aggregated = aggregate(
        layout.root, engine=engine, since=since, last_projects=last_projects, refresh=False
    ).content
    step("patterns")
    findings = detect_patterns(
        layout.root,
        engine=engine,
        since=since,
        last_projects=last_projects,
        recipe=recipe,
        data=data,
    )
    # Reviewers' learning signals (spec 3.2) are evidence too.
    findings += learning_signals(layout.root)
    step("loops")
    actions = [
        a.to_dict()
        for a in evaluate_loops(
            layout.root,
            findings,
            engine=engine,
            since=since,
            last_projects=last_projects,
            recipe=recipe,
            data=data,
        )
    ]
    step("suggest")
    suggestions, suggestions_file = suggest_from_root(layout.root, findings, now=now)
    suggestion_dicts = [s.to_dict() for s in suggestions]
    step("report")
    projects = len(data.projects)
    months = sorted({str(m) for m in data.projects["started"].dt.strftime("%Y-%m")})
    scope = f"{projects} projects" + (f", {months[0]} to {months[-1]}" if months else "")
    if recipe:
        scope += f", recipe {recipe}"
    if since:
        scope += f", since {since}"
    if last_projects:
        scope += f" (the last {last_projects})"
    report_data = ReportData(
        title=f"AutoForge learning report {now.date().isoformat()}",
        generated_at=now.date(),
        scope=scope,
        findings=findings,
        loop_actions=actions,
        suggestions=suggestion_dicts,
        trends=_trends(aggregated, TREND_SERIES),
        calibration=_calibration(findings),
        totals={"projects": projects, "events": events},
    )
    reports_dir = layout.root / "ai" / "reports"
    stem = f"training_{now.date().isoformat()}"
    rendered = render_markdown(report_data, reports_dir / f"{stem}.md")
    html_path = render_html(report_data, reports_dir / f"{stem}.html")
    monthly = layout.reports / f"{now.strftime('%Y-%m')}-learning_report.md"
    _copy_report(rendered.markdown, monthly, rendered.charts)
    trends_file = layout.reports / "metrics_trends.json"
    write_json_atomic(
        trends_file,
        {
            "generated_for": now.date().isoformat(),
            "scope": scope,
            "metrics": {
                s.metric: {
                    "label": s.label,
                    "unit": s.unit,
                    "lower_is_better": s.lower_is_better,
                    "points": [{"month": m, "value": v} for m, v in s.points],
                }
                for s in report_data.trends
            },
        },
    )
    return TrainResult(
        findings=findings,
        loop_actions=actions,
        suggestions=suggestion_dicts,
        report=rendered.markdown,
        report_html=html_path,
        monthly_report=monthly,
        trends_file=trends_file,
        suggestions_file=suggestions_file,
        counts={"projects": projects, "events": events},
    )


def _copy_report(source: Path, target: Path, charts: dict[str, Path]) -> None:
    """Copy the Markdown report and its charts, keeping the relative image links valid."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = source.read_text()
    assets = target.parent / "assets"
    for chart in charts.values():
        assets.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chart, assets / chart.name)
    target.write_text(text)
