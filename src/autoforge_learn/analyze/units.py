"""Metric values and changes in words, by the catalogue's units: one formatting for the
CLI, the experiments' conclusions and the reports."""

from __future__ import annotations

import math


def format_value(value: float | None, unit: str) -> str:
    """A value as a reader sees it: ``73.4%`` (a share), ``2.5 h``, ``$0.36``, ``12,400``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "seconds":
        return f"{value / 3600:.1f} h" if abs(value) >= 3600 else f"{value / 60:.0f} min"
    if unit.startswith("USD"):
        return f"${value:,.2f}"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def format_change(change: float | None, unit: str) -> str:
    """A difference with its sign: ``+1.2 pp`` (shares and percents: percentage points),
    ``-0.5 h``, ``+$0.02``, ``+1,300``."""
    if change is None or not math.isfinite(change):
        return "n/a"
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    size = abs(change)
    if unit == "share":
        return f"{sign}{100 * size:.1f} pp"
    if unit == "percent":
        return f"{sign}{size:.1f} pp"
    if unit == "seconds":
        return f"{sign}{size / 3600:.2f} h" if size >= 3600 else f"{sign}{size / 60:.1f} min"
    if unit.startswith("USD"):
        return f"{sign}${size:,.3f}"
    return f"{sign}{size:,.3g}" if size < 1000 else f"{sign}{size:,.0f}"


def format_interval(low: float | None, high: float | None, unit: str) -> str:
    """``[-1.2 pp, +3.4 pp]``: an interval of a change."""
    return f"[{format_change(low, unit)}, {format_change(high, unit)}]"
