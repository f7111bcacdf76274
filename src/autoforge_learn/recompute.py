"""Recompute a project's outcome metrics from its raw events.

"Can recompute any prior project's metrics from raw logs": for each project, every
outcome metric that follows from other events is derived again with
:func:`autoforge_learn.schema.outcomes.derived_outcome` and compared with what its
``project_<id>_summary.json`` recorded.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.errors import NotFoundError
from autoforge_learn.schema.events import EventBase, ProjectCompleted, ProjectStarted
from autoforge_learn.schema.outcomes import DELIVERED, delivery_speed_rank, derived_outcome
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.store.reader import LineProblem, RawReader

#: Metrics derived from other events, compared with the summary.
RECOMPUTED = (
    "time_to_completion",
    "token_cost_total",
    "tokens_total",
    "quality_score",
    "agent_decisions_overridden",
    "time_to_first_prototype",
    "delivery_speed_rank",
)
#: Metrics that are observations in their own right (nothing to derive them from).
RECORDED_ONLY = ("project_success", "critical_errors_post_deployment", "security_issues_missed")

# Rounding of the recorded values: quality to 0.01, costs to 1e-6, ranks to 0.1.
_TOLERANCE = {"quality_score": 0.005, "delivery_speed_rank": 0.05, "token_cost_total": 1e-6}
#: Relative difference that is float rounding, not a different value.
REL_TOLERANCE = 1e-6
#: Absolute difference that is float rounding for metrics without their own rounding
#: (it decides near zero, where a relative tolerance cannot).
ABS_TOLERANCE = 1e-6


@dataclass
class MetricCheck:
    """One metric of one project: the recorded value, the recomputed one, and whether they agree."""

    metric: str
    recorded: Any
    recomputed: Any

    @property
    def status(self) -> str:
        """``match``, ``mismatch``, ``not_recorded`` or ``not_derivable``.

        Values within :data:`REL_TOLERANCE` of each other (relative), or within the
        metric's rounding (absolute, :data:`ABS_TOLERANCE` by default), match.
        """
        if self.recomputed is None and self.recorded is None:
            return "match"
        if self.recorded is None:
            return "not_recorded"
        if self.recomputed is None:
            return "not_derivable"
        same = math.isclose(
            float(self.recorded),
            float(self.recomputed),
            rel_tol=REL_TOLERANCE,
            abs_tol=_TOLERANCE.get(self.metric, ABS_TOLERANCE),
        )
        return "match" if same else "mismatch"

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "recorded": self.recorded,
            "recomputed": self.recomputed,
            "status": self.status,
        }


@dataclass
class ProjectCheck:
    """Every recomputed metric of one project."""

    project_id: str
    summary: Path | None
    checks: list[MetricCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.status == "mismatch"]

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "summary": str(self.summary) if self.summary else None,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
            "problems": self.problems,
        }


@dataclass
class RecomputeReport:
    """The result of recomputing one or more projects.

    Attributes:
        projects: One check per project.
        invalid_lines: The problems of the store's raw lines (torn, not JSON, not a valid
            event, or an event_id reused for different content); those lines were left out.
    """

    projects: list[ProjectCheck]
    invalid_lines: list[LineProblem]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.projects)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "projects_checked": len(self.projects),
            "projects_with_mismatches": sum(1 for p in self.projects if not p.ok),
            "invalid_lines": [p.to_dict() for p in self.invalid_lines],
            "projects": [p.to_dict() for p in self.projects],
        }


def _read_all(layout: StoreLayout) -> tuple[dict[str, list[EventBase]], list[LineProblem]]:
    """Every valid raw event by project (first line of each id), and the store's problems."""
    events: dict[str, list[EventBase]] = defaultdict(list)
    reader = RawReader(layout.raw_files())
    for raw in reader:
        events[raw.event.project_id].append(raw.event)
    return events, reader.summary.problems


def _summaries(layout: StoreLayout) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(layout.raw.glob("*/project_*_summary.json")) if layout.raw.is_dir() else []:
        name = path.name.removeprefix("project_").removesuffix("_summary.json")
        found.setdefault(name, path)
    return found


def recompute(root: Path, *, project_ids: list[str] | None = None) -> RecomputeReport:
    """Recompute outcome metrics of ``project_ids`` (default: every completed project).

    The delivery speed rank needs the other projects of the same recipe, so all raw
    files are read even for one project.

    Raises:
        NotFoundError: If a named project has no raw events.
    """
    layout = StoreLayout(root)
    by_project, invalid = _read_all(layout)
    summaries = _summaries(layout)
    ranks = _delivery_ranks(by_project)
    wanted = (
        project_ids
        if project_ids is not None
        else sorted(
            p for p, evs in by_project.items() if any(isinstance(e, ProjectCompleted) for e in evs)
        )
    )
    results = []
    for project_id in wanted:
        if project_id not in by_project:
            raise NotFoundError(f"no raw events for project {project_id!r} under {layout.raw}")
        results.append(_check_project(project_id, by_project[project_id], summaries, ranks))
    return RecomputeReport(projects=results, invalid_lines=invalid)


def _delivery_ranks(by_project: dict[str, list[EventBase]]) -> dict[str, float | None]:
    """Each delivered project's rank among earlier-created deliveries of its recipe."""
    delivered = []
    for project_id, events in by_project.items():
        started = next((e for e in events if isinstance(e, ProjectStarted)), None)
        outcome = max(
            (e for e in events if isinstance(e, ProjectCompleted)),
            key=lambda e: e.timestamp,
            default=None,
        )
        if started is None or outcome is None or outcome.project_success not in DELIVERED:
            continue
        end = outcome.completed_at or outcome.timestamp
        elapsed = (end - started.created_at).total_seconds()
        delivered.append((started.created_at, project_id, started.recipe, elapsed))
    ranks: dict[str, float | None] = {}
    prior: dict[str, list[float]] = defaultdict(list)
    for _created, project_id, recipe, elapsed in sorted(delivered):
        ranks[project_id] = delivery_speed_rank(elapsed, prior[recipe])
        prior[recipe].append(elapsed)
    return ranks


def _check_project(
    project_id: str,
    events: list[EventBase],
    summaries: dict[str, Path],
    ranks: dict[str, float | None],
) -> ProjectCheck:
    summary_path = summaries.get(project_id)
    check = ProjectCheck(project_id=project_id, summary=summary_path)
    recorded: dict[str, Any] = {}
    if summary_path is None:
        check.problems.append("no project summary.json to compare with")
    else:
        try:
            recorded = orjson.loads(summary_path.read_bytes()).get("outcome", {})
        except (orjson.JSONDecodeError, AttributeError) as exc:
            check.problems.append(f"{summary_path}: not a valid summary: {exc}")
    derived = derived_outcome(events)
    derived["delivery_speed_rank"] = ranks.get(project_id)
    for metric in RECOMPUTED:
        check.checks.append(MetricCheck(metric, recorded.get(metric), derived.get(metric)))
    return check
