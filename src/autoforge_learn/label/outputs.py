"""Output labels: each completed project's automatic quality score and its label, from
the score's inputs derived by the one rule of :mod:`autoforge_learn.schema.quality`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoforge_learn.label.records import column
from autoforge_learn.label.rules import RULES_VERSION, output_quality_label
from autoforge_learn.schema.quality import QualityInputs, quality_inputs


def label_outputs(inputs: dict[str, QualityInputs]) -> list[dict[str, Any]]:
    """Quality label per completed project from its score's inputs."""
    out = []
    for project_id in sorted(inputs):
        given = inputs[project_id]
        score = given.score()
        out.append(
            {
                "project_id": project_id,
                "test_coverage_percent": given.test_coverage_percent,
                "security_clean": given.security_clean,
                "perf_within_slo": given.perf_within_slo,
                "no_major_rework": given.no_major_rework,
                "quality_score": score,
                "output": output_quality_label(score),
                "labeled_by": "auto",
                "rules": RULES_VERSION,
            }
        )
    return out


@dataclass(frozen=True)
class _SignalRow:
    """A row of the index, read by :func:`~autoforge_learn.schema.quality.quality_inputs`."""

    kind: str
    timestamp: Any
    test_coverage_percent: float | None
    critical: int | None
    major: int | None
    within_slo: bool | None
    severity: str | None


def quality_inputs_of(events: Any) -> dict[str, QualityInputs]:
    """Per completed project among ``events`` (an ibis table of the selected events):
    the quality score's inputs, by the one rule of :mod:`autoforge_learn.schema.quality`."""
    from autoforge_learn.dataset import field as event_field

    done = events.filter(events.kind == "project_completed").select("project_id").distinct()
    signals = events.filter(
        events.kind.isin(["test_results", "security_scan", "performance_metrics"])
        | ((events.kind == "downstream_feedback") & events.severity.isin(["critical", "major"]))
    )
    signals = signals.filter(signals.project_id.isin(done.project_id))
    rows = signals.select(
        "project_id", "kind", "ts", "event_id", "test_coverage_percent", "within_slo", "severity",
        critical=event_field(signals, "critical", "int"),
        major=event_field(signals, "major", "int"),
    ).execute()
    rows = rows.sort_values(["project_id", "ts", "event_id"], kind="stable")
    per: dict[str, list[_SignalRow]] = {str(p): [] for p in done.execute()["project_id"]}
    fields = ("kind", "ts", "test_coverage_percent", "critical", "major", "within_slo",
              "severity")
    for project, *values in zip(column(rows, "project_id"),
                                *(column(rows, name) for name in fields), strict=True):
        per[str(project)].append(_SignalRow(*values))
    return {project: quality_inputs(items) for project, items in per.items()}
