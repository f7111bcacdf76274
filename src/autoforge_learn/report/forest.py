"""Forest plots of experiments (:mod:`autoforge_learn.report.experiments`): one row per
effect with its 95% interval, in percent of the control, and the line of no effect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoforge_learn.report.experiments import Forest


def forest_png(forest: Forest, path: Path) -> Path:
    """A forest plot as a PNG file."""
    from autoforge_learn.report.charts import _pyplot, _save, label_width, place_axes

    plt = _pyplot()
    rows = list(reversed(forest.rows))
    labels = [f"{r.label}  (n {r.projects})" for r in rows]
    left = label_width(labels) + 0.3
    # the title is centred over the axes: they are at least as wide as it
    width = max(7.0, left + 4.5, left + label_width([forest.title]) + 0.5)
    fig, ax = plt.subplots(figsize=(width, 1.0 + 0.45 * len(rows)))
    place_axes(fig, left=left, top=0.4)
    y = list(range(len(rows)))
    ax.errorbar(
        [r.effect for r in rows], y,
        xerr=[[r.effect - r.low for r in rows], [r.high - r.effect for r in rows]],
        fmt="o", color="#2563eb", ecolor="#93c5fd", capsize=3,
    )
    ax.axvline(0, color="#6b7280", linestyle="--", linewidth=1)
    ax.set_yticks(y, labels)
    ax.set_xlabel("effect, % of the control's value (95% interval)")
    ax.set_title(forest.title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def forest_div(forest: Forest, config: dict[str, Any]) -> str:
    """A forest plot as an HTML fragment (plotly.js is inlined once by the page)."""
    import plotly.graph_objects as go

    rows = list(reversed(forest.rows))
    fig = go.Figure(go.Scatter(
        x=[r.effect for r in rows], y=[r.label for r in rows], mode="markers",
        error_x={"type": "data", "symmetric": False,
                 "array": [r.high - r.effect for r in rows],
                 "arrayminus": [r.effect - r.low for r in rows]},
        text=[f"n {r.projects}" for r in rows],
        hovertemplate="%{y}: %{x:.1f}% (%{text})<extra></extra>",
    ))
    fig.add_vline(x=0, line_dash="dash", line_color="#6b7280")
    fig.update_layout(title=forest.title, height=140 + 40 * len(rows),
                      xaxis_title="effect, % of the control's value (95% interval)",
                      yaxis={"automargin": True}, margin={"t": 50, "b": 50})
    return str(fig.to_html(full_html=False, include_plotlyjs=False, config=config,
                           div_id=f"chart-{forest.name}"))
