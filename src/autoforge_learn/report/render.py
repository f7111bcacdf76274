"""Render a learning report as Markdown (PNG charts) and as HTML (interactive charts).

Both renderings come from one document (:func:`~autoforge_learn.report.sections.build_document`):
the same sections, in the same order, with the same text. The HTML page is
self-contained: plotly.js and the charts are inline, so the file can be mailed or moved
alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoforge_learn.report.charts import chart_names, plotly_divs, render_pngs
from autoforge_learn.report.data import ReportData
from autoforge_learn.report.document import to_html, to_markdown
from autoforge_learn.report.sections import (
    SECTIONS,
    build_document,
    executive_summary,
    ranked,
    top_actions,
)


@dataclass(frozen=True)
class RenderedReport:
    """Paths of a rendered report."""

    markdown: Path
    html: Path | None
    charts: dict[str, Path]


def render_markdown(
    data: ReportData, path: Path, *, charts: bool = True, pngs: dict[str, Path] | None = None
) -> RenderedReport:
    """Write the Markdown report at ``path`` and its PNG charts in ``<dir>/assets/``
    (``pngs``: charts already drawn there, by name; ``charts=False``: none)."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    if pngs is None:
        pngs = render_pngs(data, directory / "assets", stem=path.stem) if charts else {}
    images = {name: png.relative_to(directory).as_posix() for name, png in pngs.items()}
    document = build_document(data, chart_names(data))
    path.write_text(to_markdown(document, images))
    return RenderedReport(markdown=path, html=None, charts=pngs)


def render_html(data: ReportData, path: Path) -> Path:
    """Write the HTML report at ``path``: one self-contained page (plotly.js inline, no
    file beside it, nothing loaded from the network)."""
    from plotly.offline import get_plotlyjs

    path.parent.mkdir(parents=True, exist_ok=True)
    divs = plotly_divs(data)
    document = build_document(data, chart_names(data))
    path.write_text(to_html(document, divs, script=get_plotlyjs() if divs else ""))
    return path


__all__ = [
    "SECTIONS",
    "RenderedReport",
    "executive_summary",
    "ranked",
    "render_html",
    "render_markdown",
    "top_actions",
]
