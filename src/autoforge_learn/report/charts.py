"""Charts of a learning report: PNG with matplotlib (Markdown), interactive plotly (HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoforge_learn.findings import CalibrationBucket, Finding, Pattern
from autoforge_learn.report.data import ReportData, TrendSeries

_PERCENT_UNITS = ("share",)


def _scale(series: TrendSeries) -> tuple[list[str], list[float | None], str]:
    periods = [p for p, _ in series.points]
    values = [v for _, v in series.points]
    if series.unit in _PERCENT_UNITS:
        return periods, [None if v is None else 100 * v for v in values], "%"
    if series.unit == "seconds":
        return periods, [None if v is None else v / 3600 for v in values], "hours"
    return periods, values, series.unit


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
    path.parent.mkdir(parents=True, exist_ok=True)
    # No timestamps in the file: the same data give the same bytes.
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return path


def trends_png(data: ReportData, path: Path) -> Path | None:
    """Small multiples: one panel per metric over the months."""
    series = [s for s in data.trends if any(v is not None for _, v in s.points)]
    if not series:
        return None
    plt = _pyplot()
    cols = 2 if len(series) > 1 else 1
    rows = (len(series) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 2.8 * rows), squeeze=False)
    for ax, s in zip(axes.flat, series, strict=False):
        periods, values, unit = _scale(s)
        xs = [i for i, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        ax.plot(xs, ys, marker="o", color="#2563eb", linewidth=2)
        name = f"{s.label} ({unit})" if unit not in ("count", "score") else s.label
        better = "lower" if s.lower_is_better else "higher"
        ax.set_title(f"{name}, {better} is better", fontsize=10)
        ax.set_xticks(range(len(periods)), periods, rotation=30, ha="right", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(series) :]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)


def calibration_png(data: ReportData, path: Path) -> Path | None:
    """Reliability diagram: stated confidence against observed success, per role."""
    if not data.calibration:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
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
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(rows) + 1.2))
    names = [f.key.get("strategy", f.id) for f in rows]
    values = [100 * f.value for f in rows]
    low = [100 * (f.value - f.interval[0]) if f.interval else 0 for f in rows]
    high = [100 * (f.interval[1] - f.value) if f.interval else 0 for f in rows]
    ax.barh(names, values, xerr=[low, high], color="#10b981", ecolor="#374151", capsize=3)
    ax.set_xlabel("success rate (%)")
    ax.set_xlim(0, 100)
    ax.set_title("Auto-fix strategies")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def render_pngs(data: ReportData, directory: Path, *, stem: str) -> dict[str, Path]:
    """Write every PNG chart that has data; returns chart name -> path."""
    out = {}
    for name, make in (
        ("trends", trends_png),
        ("calibration", calibration_png),
        ("strategies", strategies_png),
    ):
        path = make(data, directory / f"{stem}_{name}.png")
        if path is not None:
            out[name] = path
    return out


# -- plotly (HTML) -----------------------------------------------------------------------


def plotly_divs(data: ReportData) -> dict[str, str]:
    """Interactive charts as HTML fragments (plotly.js is loaded once by the page)."""
    import plotly.graph_objects as go

    divs: dict[str, str] = {}
    config = {"displaylogo": False, "responsive": True}
    series = [s for s in data.trends if any(v is not None for _, v in s.points)]
    if series:
        fig = go.Figure()
        for s in series:
            periods, values, unit = _scale(s)
            fig.add_trace(
                go.Scatter(x=periods, y=values, mode="lines+markers", name=f"{s.label} ({unit})")
            )
        fig.update_layout(
            title="Metric trends",
            height=420,
            legend={"orientation": "h"},
            margin={"t": 50, "l": 40, "r": 20, "b": 40},
        )
        divs["trends"] = fig.to_html(full_html=False, include_plotlyjs=False, config=config)
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
        divs["calibration"] = fig.to_html(full_html=False, include_plotlyjs=False, config=config)
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
        fig.update_layout(title="Auto-fix success rate (%)", height=120 + 28 * len(rows))
        divs["strategies"] = fig.to_html(full_html=False, include_plotlyjs=False, config=config)
    return divs
