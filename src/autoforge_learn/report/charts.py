"""Charts of a learning report: PNG with matplotlib (Markdown), interactive plotly (HTML)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from autoforge_learn.findings import CalibrationBucket, Finding, Pattern
from autoforge_learn.report.data import ReportData, TrendSeries

_PERCENT_UNITS = ("share",)


def unit_label(unit: str) -> str:
    """The axis unit of a catalogue unit as charted: shares in %, seconds in hours."""
    return {"share": "%", "seconds": "hours"}.get(unit, unit)


def _scale(series: TrendSeries) -> tuple[list[str], list[float], str]:
    """The known points of a series on its chart scale, and the axis unit."""
    known = series.known()
    periods = [p for p, _ in known]
    values = [v for _, v in known]
    if series.unit in _PERCENT_UNITS:
        values = [100 * v for v in values]
    elif series.unit == "seconds":
        values = [v / 3600 for v in values]
    return periods, values, unit_label(series.unit)


def trend_panels(data: ReportData) -> list[TrendSeries]:
    """The series that get a panel: those with at least one known value."""
    return [s for s in data.trends if s.known()]


def projects_text(series: TrendSeries, period: str) -> str:
    """How many projects a point rests on, in words."""
    n = series.projects.get(period)
    return "projects unknown" if n is None else f"{n} project{'s' if n != 1 else ''}"


def chart_names(data: ReportData) -> list[str]:
    """The charts the data have, in report order (both renderings use this)."""
    names = []
    if trend_panels(data):
        names.append("trends")
    if data.calibration:
        names.append("calibration")
    if _strategies(data.findings):
        names.append("strategies")
    from autoforge_learn.report.experiments import forests

    names += [f.name for f in forests(data)]
    return names


def _known(buckets: list[CalibrationBucket]) -> list[CalibrationBucket]:
    """Buckets with both a mean confidence and an observed rate."""
    return [b for b in buckets if b.mean_predicted is not None and b.observed_rate is not None]


def _strategies(findings: list[Finding]) -> list[Finding]:
    rows = [f for f in findings if f.pattern == Pattern.AUTO_FIX_STRATEGY]
    return sorted(rows, key=lambda f: f.value)


# -- matplotlib (PNG) --------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    """Write a figure as PNG, as laid out (see :func:`place_axes`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # No timestamps in the file: the same data give the same bytes.
    fig.savefig(path, dpi=110, metadata={"Software": None})
    _pyplot().close(fig)
    return path


def trends_png(data: ReportData, path: Path) -> Path | None:
    """The trend panels (:func:`trends_figure_png`) as a PNG file."""
    fig = trends_figure_png(data)
    return None if fig is None else _save(fig, path)


def trends_figure_png(data: ReportData) -> Any:
    """Small multiples (a matplotlib figure, None without data): one panel per metric,
    its unit on the y axis, the projects behind each month under its label; months with
    too few projects to compare are hollow."""
    series = trend_panels(data)
    if not series:
        return None
    plt = _pyplot()
    cols = 2 if len(series) > 1 else 1
    rows = (len(series) + cols - 1) // cols
    width, height = 6.2 * cols, 3.0 * rows
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    _fixed_margins(fig, rows, cols, width=width, height=height)
    few_anywhere = False
    for ax, s in zip(axes.flat, series, strict=False):
        periods, values, unit = _scale(s)
        xs = list(range(len(periods)))
        enough = [s.projects.get(p, 0) >= data.min_projects for p in periods]
        few_anywhere = few_anywhere or not all(enough)
        ax.plot(xs, values, color="#2563eb", linewidth=2)
        ax.scatter(
            xs,
            values,
            s=36,
            zorder=3,
            facecolors=["#2563eb" if ok else "white" for ok in enough],
            edgecolors="#2563eb",
        )
        better = "lower" if s.lower_is_better else "higher"
        ax.set_title(f"{s.label}, {better} is better", fontsize=10)
        ax.set_ylabel(unit, fontsize=9)
        labels = [f"{p}\nn={s.projects[p]}" if p in s.projects else f"{p}\nn=?" for p in periods]
        ax.set_xticks(xs, labels, fontsize=7)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(series) :]:
        ax.axis("off")
    if few_anywhere:
        fig.text(
            0.5,
            _FOOTNOTE_IN / height,
            f"n = projects in the month; hollow points: fewer than {data.min_projects} "
            "projects, not compared with other months",
            ha="center",
            va="center",
            fontsize=8,
            color="#4b5563",
        )
    return fig


# Margins of the trend panels in inches: room for the y tick labels and unit (left),
# the title (top), the two-line month labels (bottom) and the footnote under them.
# Fixed rather than measured: measuring (tight layout) draws the figure once more and
# costs more than the whole of the final drawing.
_LEFT_IN, _RIGHT_IN, _TOP_IN, _BOTTOM_IN = 0.85, 0.2, 0.35, 0.8
_GAP_WIDE_IN, _GAP_HIGH_IN = 0.95, 0.85
_FOOTNOTE_IN = 0.18


def label_width(labels: list[str], fontsize: float = 10.0) -> float:
    """The widest of ``labels`` in inches as matplotlib draws it, measured from the font
    without drawing anything."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure, font = TextToPath(), FontProperties(size=fontsize)
    widths = [measure.get_text_width_height_descent(t, font, ismath=False)[0] for t in labels]
    return max(widths, default=0.0) / 72


def place_axes(
    fig: Any, *, left: float, right: float = 0.25, top: float = 0.45, bottom: float = 0.6
) -> None:
    """Place a figure's one axes with margins in inches: room for tick labels, axis
    labels and the title, fixed rather than measured by drawing (see ``_LEFT_IN``)."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height)


def _fixed_margins(fig: Any, rows: int, cols: int, *, width: float, height: float) -> None:
    """Place the panels with margins fixed in inches (see ``_LEFT_IN`` ...)."""
    panel_width = (width - _LEFT_IN - _RIGHT_IN - _GAP_WIDE_IN * (cols - 1)) / cols
    panel_height = (height - _TOP_IN - _BOTTOM_IN - _GAP_HIGH_IN * (rows - 1)) / rows
    fig.subplots_adjust(
        left=_LEFT_IN / width,
        right=1 - _RIGHT_IN / width,
        top=1 - _TOP_IN / height,
        bottom=_BOTTOM_IN / height,
        wspace=_GAP_WIDE_IN / panel_width,
        hspace=_GAP_HIGH_IN / panel_height,
    )


def calibration_png(data: ReportData, path: Path) -> Path | None:
    """Reliability diagram: stated confidence against observed success, per role."""
    if not data.calibration:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    place_axes(fig, left=0.75)
    ax.plot([0, 100], [0, 100], linestyle="--", color="#9ca3af", label="perfect calibration")
    for role, buckets in sorted(data.calibration.items()):
        known = _known(buckets)
        xs = [100 * (b.mean_predicted or 0.0) for b in known]
        ys = [100 * (b.observed_rate or 0.0) for b in known]
        ax.plot(xs, ys, marker="o", label=role)
    ax.set_xlabel("stated confidence (%)")
    ax.set_ylabel("actual success (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_title("Confidence calibration by role")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def strategies_png(data: ReportData, path: Path) -> Path | None:
    """Auto-fix success rate per strategy with 95% intervals."""
    rows = _strategies(data.findings)
    if not rows:
        return None
    plt = _pyplot()
    names = [f.key.get("strategy", f.id) for f in rows]
    left = label_width(names) + 0.3
    fig, ax = plt.subplots(figsize=(max(7.0, left + 4.5), 0.42 * len(rows) + 1.2))
    place_axes(fig, left=left)
    values = [100 * f.value for f in rows]
    low = [100 * (f.value - f.interval[0]) if f.interval else 0 for f in rows]
    high = [100 * (f.interval[1] - f.value) if f.interval else 0 for f in rows]
    ax.barh(names, values, xerr=[low, high], color="#10b981", ecolor="#374151", capsize=3)
    ax.set_xlabel("success rate (%)")
    ax.set_xlim(0, 100)
    ax.set_title("Auto-fix strategies")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def render_pngs(
    data: ReportData, directory: Path, *, stem: str, only: Collection[str] | None = None
) -> dict[str, Path]:
    """Write every PNG chart that has data (or only the charts named in ``only``);
    returns chart name -> path."""
    out = {}
    for name, make in (
        ("trends", trends_png),
        ("calibration", calibration_png),
        ("strategies", strategies_png),
    ):
        if only is not None and name not in only:
            continue
        path = make(data, directory / f"{stem}_{name}.png")
        if path is not None:
            out[name] = path
    from autoforge_learn.report.experiments import forests
    from autoforge_learn.report.forest import forest_png

    for forest in forests(data):
        if only is None or forest.name in only:
            out[forest.name] = forest_png(forest, directory / f"{stem}_{forest.name}.png")
    return out


# -- plotly (HTML) -----------------------------------------------------------------------


def trends_figure(data: ReportData) -> Any:
    """Small multiples (a plotly figure, None without data): one panel per metric, its
    own y axis titled with its unit; the hover text gives each month's projects; months
    with too few projects to compare are hollow."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    series = trend_panels(data)
    if not series:
        return None
    cols = 2 if len(series) > 1 else 1
    rows = (len(series) + cols - 1) // cols
    titles = [f"{s.label}, {'lower' if s.lower_is_better else 'higher'} is better" for s in series]
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.5 / max(rows, 1)
    )
    for i, s in enumerate(series):
        periods, values, unit = _scale(s)
        row, col = i // cols + 1, i % cols + 1
        enough = [s.projects.get(p, 0) >= data.min_projects for p in periods]
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=values,
                mode="lines+markers",
                name=s.label,
                showlegend=False,
                customdata=[projects_text(s, p) for p in periods],
                hovertemplate=f"%{{x}}: %{{y:.4~g}} {unit}<br>%{{customdata}}<extra>"
                f"{s.label}</extra>",
                marker={
                    "size": 8,
                    "color": ["#2563eb" if ok else "white" for ok in enough],
                    "line": {"color": "#2563eb", "width": 2},
                },
                line={"color": "#2563eb"},
            ),
            row=row,
            col=col,
        )
        fig.update_yaxes(title_text=unit, row=row, col=col)
        ticks = [f"{p}<br>n={s.projects[p]}" if p in s.projects else f"{p}<br>n=?" for p in periods]
        fig.update_xaxes(type="category", tickvals=periods, ticktext=ticks, row=row, col=col)
    fig.update_layout(height=90 + 280 * rows, margin={"t": 60, "l": 60, "r": 20, "b": 40})
    return fig


def plotly_divs(data: ReportData) -> dict[str, str]:
    """Interactive charts as HTML fragments (the page inlines plotly.js once)."""
    import plotly.graph_objects as go

    divs: dict[str, str] = {}
    config = {"displaylogo": False, "responsive": True}
    trends = trends_figure(data)
    if trends is not None:
        divs["trends"] = trends.to_html(
            full_html=False, include_plotlyjs=False, config=config, div_id="chart-trends"
        )
    if data.calibration:
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=[0, 100],
                y=[0, 100],
                mode="lines",
                name="perfect",
                line={"dash": "dash", "color": "#9ca3af"},
            )
        )
        for role, buckets in sorted(data.calibration.items()):
            fig.add_trace(
                go.Scatter(
                    x=[100 * (b.mean_predicted or 0.0) for b in _known(buckets)],
                    y=[100 * (b.observed_rate or 0.0) for b in _known(buckets)],
                    text=[f"n={b.count}" for b in _known(buckets)],
                    mode="lines+markers",
                    name=role,
                )
            )
        fig.update_layout(
            title="Confidence calibration",
            height=420,
            xaxis_title="stated confidence (%)",
            yaxis_title="actual success (%)",
        )
        divs["calibration"] = fig.to_html(
            full_html=False, include_plotlyjs=False, config=config, div_id="chart-calibration"
        )
    rows = _strategies(data.findings)
    if rows:
        fig = go.Figure(
            go.Bar(
                x=[100 * f.value for f in rows],
                y=[f.key.get("strategy", f.id) for f in rows],
                orientation="h",
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [100 * (f.interval[1] - f.value) if f.interval else 0 for f in rows],
                    "arrayminus": [
                        100 * (f.value - f.interval[0]) if f.interval else 0 for f in rows
                    ],
                },
                text=[f"n={f.sample_size}" for f in rows],
            )
        )
        fig.update_layout(
            title="Auto-fix success rate (%)",
            height=160 + 36 * len(rows),
            xaxis={"range": [0, 100], "title": {"text": "success rate (%)"}},
            yaxis={"automargin": True},
            margin={"t": 50, "b": 50},
        )
        divs["strategies"] = fig.to_html(
            full_html=False, include_plotlyjs=False, config=config, div_id="chart-strategies"
        )
    from autoforge_learn.report.experiments import forests
    from autoforge_learn.report.forest import forest_div

    for forest in forests(data):
        divs[forest.name] = forest_div(forest, config)
    return divs
