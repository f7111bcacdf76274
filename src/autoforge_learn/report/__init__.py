"""Learning reports: one document rendered as Markdown (PNG charts) and as a
self-contained HTML page (interactive charts)."""

from autoforge_learn.report.data import ReportData, TrendSeries
from autoforge_learn.report.render import (
    SECTIONS,
    RenderedReport,
    executive_summary,
    render_html,
    render_markdown,
)

__all__ = [
    "SECTIONS",
    "RenderedReport",
    "ReportData",
    "TrendSeries",
    "executive_summary",
    "render_html",
    "render_markdown",
]
