"""Learning reports: Markdown with PNG charts, HTML with interactive charts."""

from autoforge_learn.report.data import ReportData, TrendSeries
from autoforge_learn.report.render import (
    RenderedReport,
    executive_summary,
    render_html,
    render_markdown,
    template_text,
)

__all__ = [
    "RenderedReport",
    "ReportData",
    "TrendSeries",
    "executive_summary",
    "render_html",
    "render_markdown",
    "template_text",
]
