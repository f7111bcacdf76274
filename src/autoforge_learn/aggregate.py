"""``autoforge aggregate``: the aggregated files of the store, from the metrics catalogue.

Writes under ``.autoforge/ai/training_data/aggregated/``:

* ``agent_performance_by_role.json``: the per-role metrics;
* ``recipe_success_rates.json``: per recipe (and recipe x domain): projects, success
  rate, quality, time, cost;
* ``prompt_version_metrics.json``: the metrics of each prompt version, with the
  first and last day it was used and its improvement against the prior version;
* ``trend_analysis.json``: the key metrics per month.

Every number comes from :func:`autoforge_learn.analyze.metric_values` (one definition
per metric, the same on DuckDB and PostgreSQL) or from the same selected events; each
file records the selection it covers; files hold no timestamp, so the same data give
the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.store.jsonl import write_json_atomic

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

ROLE_METRICS = (
    "gate_pass_rate",
    "gate_failure_rate",
    "avg_retries_per_task",
    "agent_success_rate",
    "escalation_rate",
    "auto_fix_success_rate",
    "autonomous_decision_confidence",
    "human_override_rate",
    "downstream_rejection_rate",
    "p50_stage_duration",
    "p95_stage_duration",
)
RECIPE_METRICS = ("quality_score", "cost_per_project", "time_to_first_prototype")
VERSION_METRICS = {
    "gate_success_rate": "gate_pass_rate",
    "avg_retries": "avg_retries_per_task",
    "human_override_rate": "human_override_rate",
}
#: The key metrics that should get better over time, and their companions, per month.
TREND_METRICS = (
    "gate_failure_rate",
    "avg_retries_per_task",
    "time_to_first_prototype",
    "tokens_per_loc",
    "security_issues_missed_rate",
    "autonomous_decision_confidence",
    "quality_score",
    "cost_per_project",
)
#: Per-version usage measures that are not catalogue metrics (lower is better for both).
USAGE_LOWER_IS_BETTER = frozenset({"avg_tokens"})


def lower_is_better(name: str) -> bool:
    """Whether a fall of an aggregated measure is an improvement (from the catalogue)."""
    from autoforge_learn.analyze.metrics import METRICS

    if name in USAGE_LOWER_IS_BETTER:
        return True
    return METRICS[VERSION_METRICS.get(name, name)].lower_is_better


@dataclass
class AggregateReport:
    """The aggregated files written and what they hold."""

    files: dict[str, Path] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)


class _Metrics:
    """Runs catalogue metrics on one workspace under one selection."""

    def __init__(self, ws: Workspace, selection: Selection) -> None:
        self.ws, self.selection = ws, selection

    def values(self, metric: str, by: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        from autoforge_learn.dataset.metrics import metric_values

        return metric_values(self.ws, metric, by=by, selection=self.selection)

    def table(self, metrics: tuple[str, ...], by: tuple[str, ...]) -> list[dict[str, Any]]:
        """One row per group with every metric's value (and sample size for ratios)."""
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for metric in metrics:
            for row in self.values(metric, by):
                key = tuple(row[d] for d in by)
                if any(k is None for k in key):
                    continue
                out = rows.setdefault(key, dict(zip(by, key, strict=True)))
                out[metric] = row["value"]
                if "denominator" in row:
                    out[f"{metric}_n"] = row["denominator"]
        return [rows[k] for k in sorted(rows, key=lambda k: tuple(str(x) for x in k))]


def _improvement(current: dict[str, Any], prior: dict[str, Any]) -> dict[str, float]:
    """Relative change of each metric against the prior version, signed so + is better."""
    out = {}
    for name in (*VERSION_METRICS, "avg_tokens"):
        now, before = current.get(name), prior.get(name)
        if now is None or before in (None, 0):
            continue
        change = (now - before) / abs(before)
        out[name] = round(-change if lower_is_better(name) else change, 4)
    return out


def _usage(metrics: _Metrics, by: str) -> dict[str, dict[str, Any]]:
    """Per group of the selected stage executions: projects, stage runs, mean tokens per
    stage run, first and last use. ``by`` is a column of the events table."""
    t = metrics.selection.events(metrics.ws.events())
    stages = t.filter((t.kind == "stage_execution") & t[by].notnull())
    tokens = (stages.input_tokens.fill_null(0) + stages.output_tokens.fill_null(0)).cast("float64")
    frame = (
        stages.group_by(stages[by].name(by))
        .aggregate(
            projects=stages.project_id.nunique(),
            stage_runs=stages.count(),
            tokens_sum=tokens.sum(),
            first_used=stages.ts.min(),
            last_used=stages.ts.max(),
        )
        .execute()
    )
    out: dict[str, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        runs = int(row["stage_runs"])
        out[str(row[by])] = {
            "projects": int(row["projects"]),
            "stage_runs": runs,
            "avg_tokens": round(float(row["tokens_sum"]) / runs, 1) if runs else None,
            "deployed_from": row["first_used"].date().isoformat(),
            "deployed_to": row["last_used"].date().isoformat(),
        }
    return out


def _recipe_outcomes(metrics: _Metrics) -> dict[str, dict[str, Any]]:
    """Per recipe of the selected projects: projects, completed, delivered (shipped or
    alpha-ready), shipped, success rate (delivered / completed) and mean time to
    completion (seconds); outcomes from the selected events, a project's latest
    completion when it has several (each project counts once)."""
    import ibis

    t = metrics.ws.events()
    selection = metrics.selection
    chosen = selection.projects(t)
    started = t.filter((t.kind == "project_started") & t.project_id.isin(chosen.project_id))
    started = started.select("project_id", "recipe").distinct()
    events = selection.events(t)
    completions = events.filter(events.kind == "project_completed")
    latest = ibis.row_number().over(
        group_by=completions.project_id,
        order_by=[completions.ts.desc(), completions.event_id.desc()],
    )
    done = (
        completions.mutate(nth=latest)
        .filter(lambda c: c.nth == 0)
        .select("project_id", "project_success", "time_to_completion")
    )
    joined = started.left_join(done, "project_id")
    delivered = joined.project_success.isin(["shipped", "alpha_ready"]).fill_null(False)
    frame = (
        joined.group_by("recipe")
        .aggregate(
            projects=joined.project_id.nunique(),
            completed=joined.project_success.notnull().ifelse(1, 0).sum(),
            delivered=delivered.ifelse(1, 0).sum(),
            shipped=(joined.project_success == "shipped").fill_null(False).ifelse(1, 0).sum(),
            time_sum=joined.time_to_completion.cast("float64").sum(),
            time_n=joined.time_to_completion.notnull().ifelse(1, 0).sum(),
        )
        .execute()
    )
    out = {}
    for row in frame.to_dict("records"):
        completed, time_n = int(row["completed"]), int(row["time_n"])
        out[str(row["recipe"])] = {
            "projects": int(row["projects"]),
            "completed": completed,
            "shipped": int(row["shipped"]),
            "success_rate": round(int(row["delivered"]) / completed, 6) if completed else None,
            "avg_time_to_completion": round(float(row["time_sum"]) / time_n, 1) if time_n else None,
        }
    return out


def _version_metrics(metrics: _Metrics) -> list[dict[str, Any]]:
    from autoforge_learn.registry import RegistryError, parse_version_id

    rows: dict[str, dict[str, Any]] = {}
    for name, metric in VERSION_METRICS.items():
        for row in metrics.values(metric, ("prompt_version",)):
            version = row["prompt_version"]
            if version is None or row["value"] is None:
                continue
            value = row["value"]
            rows.setdefault(version, {"prompt_version": version})[name] = value
    for version, usage in _usage(metrics, "prompt_version").items():
        rows.setdefault(version, {"prompt_version": version}).update(usage)
    registry = metrics.ws.registry()
    ordered = sorted(rows.values(), key=lambda r: _version_key(r["prompt_version"]))
    previous: dict[str, dict[str, Any]] = {}
    for row in ordered:
        try:
            role, _, _ = parse_version_id(row["prompt_version"])
        except RegistryError:
            role = row["prompt_version"].split(".")[0]
        row["agent_role"] = role
        try:
            row["changes"] = registry.get(row["prompt_version"]).changes
        except RegistryError:
            row["changes"] = []
        if role in previous:
            row["prior_version"] = previous[role]["prompt_version"]
            row["improvement_vs_prior"] = _improvement(row, previous[role])
        previous[role] = row
    return ordered


def _recipes(metrics: _Metrics) -> list[dict[str, Any]]:
    rows = {r["recipe"]: r for r in metrics.table(RECIPE_METRICS, ("recipe",))}
    for recipe, outcome in _recipe_outcomes(metrics).items():
        rows.setdefault(recipe, {"recipe": recipe}).update(outcome)
    return [rows[k] for k in sorted(rows)]


def _version_key(version: str) -> tuple[Any, ...]:
    head, _, tail = version.partition(".v")
    parts = tail.split(".")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in parts)
    return (head, numbers)


def aggregate(
    ws: Workspace, selection: Selection | None = None, *, write: bool = True
) -> AggregateReport:
    """Compute (and write) the four aggregated files for the selected events.

    Args:
        ws: The workspace.
        selection: Which events (default: all); every number of every file covers
            exactly this selection, which each file records under ``selection``.
        write: Write the files (False: only return the content).
    """
    from autoforge_learn.analyze.metrics import METRICS
    from autoforge_learn.selection import Selection

    selection = selection or Selection()
    metrics = _Metrics(ws, selection)
    chosen = selection.to_dict()
    content = {
        "agent_performance_by_role": {
            "selection": chosen,
            "roles": metrics.table(ROLE_METRICS, ("role",)),
        },
        "recipe_success_rates": {
            "selection": chosen,
            "recipes": _recipes(metrics),
            "recipes_by_domain": metrics.table(RECIPE_METRICS, ("recipe", "domain")),
        },
        "prompt_version_metrics": {
            "selection": chosen,
            "versions": _version_metrics(metrics),
        },
        "trend_analysis": {
            "selection": chosen,
            "lower_is_better": sorted(m for m in TREND_METRICS if METRICS[m].lower_is_better),
            "months": metrics.table(TREND_METRICS, ("month",)),
        },
    }
    report = AggregateReport(content=content)
    if write:
        for name, body in content.items():
            path = ws.layout.aggregated / f"{name}.json"
            write_json_atomic(path, body)
            report.files[name] = path
    return report
