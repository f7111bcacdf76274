"""The project quality score, in one place.

Everything that computes a ``quality_score`` (the simulator, the ``recompute`` command,
analyses) calls :func:`quality_score`, and everything that derives its inputs from raw
events calls :func:`quality_inputs`, so that a recorded score and a recomputed one
always agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from autoforge_learn.schema.events import Severity

#: Weights of the ``output_quality_label`` formula.
COVERAGE_WEIGHT = 0.25
SECURITY_WEIGHT = 0.30
PERFORMANCE_WEIGHT = 0.20
REWORK_WEIGHT = 0.25

#: Downstream feedback of these severities counts as major rework.
MAJOR_REWORK_SEVERITIES = frozenset({Severity.CRITICAL.value, Severity.MAJOR.value})


def quality_score(
    *,
    test_coverage_percent: float | None,
    security_clean: bool,
    perf_within_slo: bool,
    no_major_rework: bool,
) -> float:
    """The quality score of one project, 0-100, rounded to 2 decimals.

    ``coverage * 0.25 + 100 * security_clean * 0.30 + 100 * perf_within_slo * 0.20
    + 100 * no_major_rework * 0.25``.

    The inputs are defined from a project's raw events (see :func:`quality_inputs`):

    * ``test_coverage_percent``: ``test_coverage_percent`` of the project's latest
      ``test_results`` event; None (no tests recorded, or no coverage) counts as 0.
    * ``security_clean``: the project's latest ``security_scan`` event has
      ``critical == 0`` and ``major == 0``; False when the project has no scan.
    * ``perf_within_slo``: ``within_slo`` of the project's latest
      ``performance_metrics`` event; False when there is none.
    * ``no_major_rework``: the project has no ``downstream_feedback`` event of
      severity ``critical`` or ``major``.

    "Latest" means the greatest ``timestamp``; on a tie, the one read last.

    Args:
        test_coverage_percent: Test coverage in percent (0-100), or None for none.
        security_clean: Whether the security scan found no critical or major issue.
        perf_within_slo: Whether measured performance was within its SLO.
        no_major_rework: Whether no critical or major downstream rejection happened.

    Returns:
        The score, between 0 and 100.

    Raises:
        ValueError: If the coverage is not a finite number between 0 and 100.

    Example:
        >>> quality_score(test_coverage_percent=80, security_clean=True,
        ...               perf_within_slo=False, no_major_rework=True)
        75.0
    """
    coverage = 0.0 if test_coverage_percent is None else float(test_coverage_percent)
    if not math.isfinite(coverage) or not 0 <= coverage <= 100:
        raise ValueError(f"test_coverage_percent must be between 0 and 100, got {coverage}")
    score = (
        coverage * COVERAGE_WEIGHT
        + 100.0 * bool(security_clean) * SECURITY_WEIGHT
        + 100.0 * bool(perf_within_slo) * PERFORMANCE_WEIGHT
        + 100.0 * bool(no_major_rework) * REWORK_WEIGHT
    )
    return round(min(100.0, max(0.0, score)), 2)


@dataclass(frozen=True)
class QualityInputs:
    """The inputs of :func:`quality_score`, as derived from one project's events."""

    test_coverage_percent: float | None
    security_clean: bool
    perf_within_slo: bool
    no_major_rework: bool

    def score(self) -> float:
        """:func:`quality_score` of these inputs."""
        return quality_score(
            test_coverage_percent=self.test_coverage_percent,
            security_clean=self.security_clean,
            perf_within_slo=self.perf_within_slo,
            no_major_rework=self.no_major_rework,
        )


class QualitySignal(Protocol):
    """What :func:`quality_inputs` reads of an event: a parsed event, or a row of the
    index with the same attribute names (the fields a kind lacks are not read)."""

    @property
    def kind(self) -> str: ...

    @property
    def timestamp(self) -> Any: ...


def quality_inputs(events: Iterable[QualitySignal]) -> QualityInputs:
    """Derive the quality score's inputs from the events of ONE project.

    The one implementation of the rules documented in :func:`quality_score`, used by
    the SDK and ``recompute`` (parsed events), manual review and the labels (rows of
    the index).

    Args:
        events: The project's events in the order they were read (a tie on the
            timestamp goes to the later one); other kinds are ignored.
    """
    latest: dict[str, QualitySignal] = {}
    major_rework = False
    for event in events:
        kind = str(event.kind)
        if kind in _LATEST_OF:
            held = latest.get(kind)
            if held is None or event.timestamp >= held.timestamp:
                latest[kind] = event
        elif kind == "downstream_feedback":
            if str(getattr(event, "severity", None)) in MAJOR_REWORK_SEVERITIES:
                major_rework = True
    tests = latest.get("test_results")
    scan = latest.get("security_scan")
    perf = latest.get("performance_metrics")
    coverage = getattr(tests, "test_coverage_percent", None) if tests is not None else None
    return QualityInputs(
        test_coverage_percent=None if coverage is None else float(coverage),
        security_clean=scan is not None
        and not getattr(scan, "critical", 0)
        and not getattr(scan, "major", 0),
        perf_within_slo=perf is not None and bool(getattr(perf, "within_slo", False)),
        no_major_rework=not major_rework,
    )


#: Kinds whose latest event (per project) feeds the score.
_LATEST_OF = frozenset({"test_results", "security_scan", "performance_metrics"})
