"""The report set a training run writes, and the trend series it charts.

All in one directory, ``ai/training_data/reports/`` (the store's layout):

* ``training_<date>[_<selection>].md`` and ``.html``, the charts in ``assets/``;
* ``YYYY-MM-learning_report[_<selection>].md``, the month's copy of the last report;
* ``metrics_trends[_<selection>].json``.

A run on a selection carries the selection's tag in every file name, so it never
overwrites the report of the whole store (or of another selection).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.report.data import ReportData, TrendSeries
from autoforge_learn.store.atomic import replace_text
from autoforge_learn.store.jsonl import write_json_atomic

if TYPE_CHECKING:
    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


@dataclass(frozen=True)
class ReportFiles:
    """The files of one report set."""

    markdown: Path
    html: Path
    monthly: Path
    trends: Path


def trend_series(
    months: list[dict[str, Any]],
    metrics: Iterable[str],
    *,
    projects: Mapping[str, int] | None = None,
) -> list[TrendSeries]:
    """One series per metric from per-month rows (``month`` and a value per metric);
    label, unit and direction come from the metrics catalogue. ``projects`` gives the
    projects behind each month (``YYYY-MM`` -> count); months without a count are never
    compared with others."""
    from autoforge_learn.analyze.metrics import get_metric

    counts = {str(k): int(v) for k, v in (projects or {}).items()}
    series = []
    for name in metrics:
        metric = get_metric(name)
        points = [(str(row["month"]), row.get(name)) for row in months]
        known = {p: counts[p] for p, _ in points if p in counts}
        series.append(
            TrendSeries(name, metric.label, metric.unit, points, metric.lower_is_better, known)
        )
    return series


def projects_by_month(started: Iterable[Any]) -> dict[str, int]:
    """Projects per ``YYYY-MM`` month from their start times (datetimes or pandas
    timestamps; missing ones are left out)."""
    counts: dict[str, int] = {}
    for moment in started:
        if moment is None or moment != moment:  # None, NaT or NaN
            continue
        month = moment.strftime("%Y-%m")
        counts[month] = counts.get(month, 0) + 1
    return dict(sorted(counts.items()))


def _tagged(stem: str, selection: Selection) -> str:
    tag = selection.slug()
    return f"{stem}_{tag}" if tag else stem


def report_stem(now: datetime, selection: Selection) -> str:
    """The file name (without suffix) of the report of a run at ``now`` on ``selection``;
    its charts are ``assets/<stem>_<chart>.png``."""
    return _tagged(f"training_{now.date().isoformat()}", selection)


def write_report_set(
    ws: Workspace, data: ReportData, *, now: datetime, selection: Selection,
    charts: ChartProcess | None = None,
) -> ReportFiles:
    """Render ``data`` as Markdown (with PNG charts) and HTML, and write the set.

    Args:
        charts: A process drawing the PNG charts meanwhile; it is asked for the charts
            not asked of it yet (drawn here without one, or if it fails).
    """
    from autoforge_learn.report.charts import chart_names
    from autoforge_learn.report.render import render_html, render_markdown

    stem = report_stem(now, selection)
    reports_dir = ws.layout.reports
    markdown = reports_dir / f"{stem}.md"
    drawing = False
    if charts is not None:
        asked = charts.requested
        rest = [] if asked is None else [n for n in chart_names(data) if n not in asked]
        drawing = charts.submit(data, reports_dir / "assets", stem=stem, only=rest)
    html = render_html(data, reports_dir / f"{stem}.html")
    pngs = charts.result() if charts is not None and drawing else None
    rendered = render_markdown(data, markdown, pngs=pngs)
    month = now.strftime("%Y-%m")
    monthly = ws.layout.reports / f"{_tagged(f'{month}-learning_report', selection)}.md"
    _copy_report(rendered.markdown, monthly, rendered.charts.values())
    trends = ws.layout.reports / f"{_tagged('metrics_trends', selection)}.json"
    write_json_atomic(
        trends,
        {
            "generated_for": now.date().isoformat(),
            "scope": data.scope,
            "selection": selection.to_dict(),
            "metrics": {
                s.metric: {
                    "label": s.label,
                    "unit": s.unit,
                    "lower_is_better": s.lower_is_better,
                    "points": [
                        {"month": m, "value": v, "projects": s.projects.get(m)} for m, v in s.points
                    ],
                }
                for s in data.trends
            },
        },
    )
    return ReportFiles(markdown=rendered.markdown, html=html, monthly=monthly, trends=trends)


def _copy_report(source: Path, target: Path, charts: Iterable[Path]) -> None:
    """Copy the Markdown report and its charts, keeping the relative image links valid."""
    assets = target.parent / "assets"
    for chart in charts:
        assets.mkdir(parents=True, exist_ok=True)
        if chart.resolve() != (assets / chart.name).resolve():
            shutil.copyfile(chart, assets / chart.name)
    replace_text(target, source.read_text())
