from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoforge_learn.schema import (
    DownstreamFeedback,
    PerformanceMetrics,
    SecurityScan,
    TestResults,
)
from autoforge_learn.schema.quality import QualityInputs, quality_inputs, quality_score

T0 = datetime(2025, 10, 1, tzinfo=UTC)


def test_formula_weights() -> None:
    assert quality_score(test_coverage_percent=100, security_clean=True, perf_within_slo=True,
                         no_major_rework=True) == 100.0
    assert quality_score(test_coverage_percent=0, security_clean=False, perf_within_slo=False,
                         no_major_rework=False) == 0.0
    assert quality_score(test_coverage_percent=80, security_clean=True, perf_within_slo=False,
                         no_major_rework=True) == 75.0
    assert quality_score(test_coverage_percent=82.4, security_clean=False, perf_within_slo=True,
                         no_major_rework=False) == pytest.approx(82.4 * 0.25 + 20)
    assert quality_score(test_coverage_percent=None, security_clean=True, perf_within_slo=True,
                         no_major_rework=True) == 75.0


@pytest.mark.parametrize("coverage", [-1, 100.5, float("nan")])
def test_coverage_out_of_range_is_refused(coverage: float) -> None:
    with pytest.raises(ValueError, match="test_coverage_percent"):
        quality_score(test_coverage_percent=coverage, security_clean=True,
                      perf_within_slo=True, no_major_rework=True)


def _env(kind_fields: dict, minutes: int) -> dict:
    return {"event_id": f"e{minutes}", "project_id": "P1",
            "timestamp": T0 + timedelta(minutes=minutes), **kind_fields}


def test_inputs_from_events_follow_the_documented_rules() -> None:
    events = [
        TestResults(**_env({"tests_executed": 10, "tests_passed": 9,
                            "test_coverage_percent": 60.0}, 1)),
        TestResults(**_env({"tests_executed": 10, "tests_passed": 10,
                            "test_coverage_percent": 90.0}, 5)),
        SecurityScan(**_env({"vulnerabilities_found": 1, "major": 1}, 2)),
        SecurityScan(**_env({"vulnerabilities_found": 2, "minor": 2}, 6)),  # latest: clean
        PerformanceMetrics(**_env({"within_slo": True}, 7)),
        DownstreamFeedback(**_env({"reporting_agent": "engineer", "feedback": "x",
                                   "severity": "minor"}, 3)),
    ]
    inputs = quality_inputs(events)
    assert inputs == QualityInputs(90.0, True, True, True)
    assert inputs.score() == 97.5
    events.append(DownstreamFeedback(**_env({"reporting_agent": "engineer", "feedback": "y",
                                             "severity": "major"}, 4)))
    assert quality_inputs(events).no_major_rework is False
    assert quality_inputs(events).score() == 72.5


def test_missing_signals_count_as_failed() -> None:
    inputs = quality_inputs([])
    assert inputs == QualityInputs(None, False, False, True)
    assert inputs.score() == 25.0
