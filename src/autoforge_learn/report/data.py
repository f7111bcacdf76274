"""What a learning report shows, gathered by ``autoforge train`` and rendered by the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import CalibrationBucket, Finding
from autoforge_learn.patterns.loops import LoopAction
from autoforge_learn.suggest.model import Suggestion
from autoforge_learn.suggest.runs import SetAside

if TYPE_CHECKING:
    from autoforge_learn.experiments.analysis import ExperimentStatus
    from autoforge_learn.experiments.model import Experiment
    from autoforge_learn.experiments.rollout import RolloutStatus


@dataclass
class ChangeTest:
    """A metric's change between two months, tested with the project as the unit.

    Attributes:
        first: The earlier month.
        last: The later month.
        effect: Last month's value minus the first's.
        low: Lower end of its 95% interval.
        high: Upper end.
        p_value: Two-sided p-value of "no change".
        q_value: Adjusted across the report's metrics (Benjamini-Hochberg).
        projects: Projects behind the first and the last month.
        test: The test used.
    """

    first: str
    last: str
    effect: float
    low: float
    high: float
    p_value: float
    projects: tuple[int, int]
    test: str
    q_value: float | None = None

    def beyond_chance(self, alpha: float = 0.05) -> bool:
        """Whether the change survives the correction across the report's metrics."""
        q = self.q_value if self.q_value is not None else self.p_value
        return q <= alpha


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
        projects: Projects behind each period (``YYYY-MM`` -> count); a period missing
            here has an unknown count and is never compared.
        change_test: The first and last comparable months' difference, tested (None when
            not tested).
    """

    metric: str
    label: str
    unit: str
    points: list[tuple[str, float | None]]
    lower_is_better: bool = True
    projects: dict[str, int] = field(default_factory=dict)
    change_test: ChangeTest | None = None

    def known(self) -> list[tuple[str, float]]:
        """The ``(period, value)`` points that have a value."""
        return [(p, v) for p, v in self.points if v is not None]

    def comparable(self, min_projects: int) -> list[tuple[str, float]]:
        """The known points of periods with at least ``min_projects`` projects."""
        return [(p, v) for p, v in self.known() if self.projects.get(p, 0) >= min_projects]

    def change(self, min_projects: int) -> tuple[tuple[str, float], tuple[str, float]] | None:
        """The first and last comparable points, or None with fewer than two."""
        points = self.comparable(min_projects)
        return (points[0], points[-1]) if len(points) >= 2 else None


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
        set_aside: Discoveries no prompt change was suggested for, with the reason.
        trends: Metric series to chart.
        calibration: Per role, the calibration buckets for a reliability chart.
        totals: Headline counts (projects, events, ...).
        min_projects: Projects a month needs to be compared with another month (``autoforge
            train`` passes ``patterns.min_projects``, the projects a claim needs).
        experiments: The running A/B tests, analysed.
        rollouts: The running rollouts, analysed.
        ended_experiments: Experiments and rollouts that ended recently, with their
            decisions.
    """

    title: str
    generated_at: date
    scope: str
    findings: list[Finding] = field(default_factory=list)
    loop_actions: list[LoopAction] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    trends: list[TrendSeries] = field(default_factory=list)
    calibration: dict[str, list[CalibrationBucket]] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    min_projects: int = 10
    experiments: list[ExperimentStatus] = field(default_factory=list)
    rollouts: list[RolloutStatus] = field(default_factory=list)
    ended_experiments: list[Experiment] = field(default_factory=list)
