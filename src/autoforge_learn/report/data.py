"""What a learning report shows, gathered by ``autoforge train`` and rendered by the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from autoforge_learn.findings import CalibrationBucket, Finding
from autoforge_learn.patterns.loops import LoopAction
from autoforge_learn.suggest.model import Suggestion


@dataclass
class TrendSeries:
    """One metric over time.

    Attributes:
        metric: Metric name from the catalogue (e.g. ``gate_failure_rate``).
        label: What a reader sees (e.g. "Gate failure rate").
        unit: The catalogue's unit (:class:`~autoforge_learn.analyze.metrics.Metric`):
            ``share`` is shown as %, ``seconds`` as hours, ``USD...`` with ``$``.
        points: ``(period, value)`` pairs, oldest first; period is ``YYYY-MM``.
        lower_is_better: Whether a fall is an improvement.
    """

    metric: str
    label: str
    unit: str
    points: list[tuple[str, float | None]]
    lower_is_better: bool = True

    def change(self) -> tuple[float, float] | None:
        """``(first, last)`` known values, or None with fewer than two."""
        known = [v for _, v in self.points if v is not None]
        return (known[0], known[-1]) if len(known) >= 2 else None


@dataclass
class ReportData:
    """Everything a learning report renders.

    Attributes:
        title: The report's title.
        generated_at: The day it was made.
        scope: What data it covers, in words ("200 projects, 2025-05 to 2025-10").
        findings: Pattern findings, any order (the report ranks them).
        loop_actions: Fired feedback loops.
        suggestions: Prompt change suggestions, the first one recommended first.
        trends: Metric series to chart.
        calibration: Per role, the calibration buckets for a reliability chart.
        totals: Headline counts (projects, events, ...).
    """

    title: str
    generated_at: date
    scope: str
    findings: list[Finding] = field(default_factory=list)
    loop_actions: list[LoopAction] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    trends: list[TrendSeries] = field(default_factory=list)
    calibration: dict[str, list[CalibrationBucket]] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
