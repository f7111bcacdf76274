"""The metrics catalogue: each metric's definition, and the ibis aggregations that compute it.

A metric is computed over the events table (already filtered) as named reductions:
``numerator`` and ``denominator`` for ratios and means (value = numerator / denominator,
divided in Python so both engines give the same number), or ``value``. Every sum runs
over float64 so PostgreSQL never returns ``numeric``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Reductions = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Metric:
    """One metric of the catalogue.

    Attributes:
        name: What ``--metric`` takes.
        definition: Exactly what is computed.
        kind: ``ratio`` (numerator / denominator), ``mean``, ``sum``, ``count``,
            ``percentile`` or ``task_mean`` (mean over gate tasks).
        unit: Unit of the value: ``share`` (a fraction, shown as %), ``percent``,
            ``points``, ``seconds``, ``USD/project``, or a count's noun.
        kinds: Event kinds the metric reads.
        reductions: Builds the named ibis reductions from the filtered events table.
        label: What a reader sees, e.g. "Gate failure rate".
        lower_is_better: Whether a fall is an improvement.
    """

    name: str
    definition: str
    kind: str
    unit: str
    kinds: tuple[str, ...]
    reductions: Reductions
    label: str = ""
    lower_is_better: bool = True

    @property
    def is_ratio(self) -> bool:
        return self.kind in ("ratio", "mean", "task_mean")


def _n(cond: Any) -> Any:
    """1.0 where ``cond`` holds, else 0.0 (NULL counts as false)."""
    return cond.fill_null(False).ifelse(1, 0).cast("float64")


def _share(cond: Callable[[Any], Any], among: Callable[[Any], Any] | None = None) -> Reductions:
    def build(t: Any) -> dict[str, Any]:
        base = among(t) if among is not None else None
        num = _n(cond(t) & base) if base is not None else _n(cond(t))
        den = _n(base) if base is not None else _n(t.event_id.notnull())
        return {"numerator": num.sum(), "denominator": den.sum()}

    return build


def _mean(col: str) -> Reductions:
    def build(t: Any) -> dict[str, Any]:
        c = t[col]
        return {
            "numerator": c.cast("float64").sum(),
            "denominator": _n(c.notnull()).sum(),
        }

    return build


def _sum(expr: Callable[[Any], Any]) -> Reductions:
    return lambda t: {"value": expr(t).cast("float64").sum()}


def _pct(col: str, q: float) -> Reductions:
    return lambda t: {"value": t[col].cast("float64").quantile(q)}


GATE = ("gate_evaluation",)
STAGE = ("stage_execution",)


def _tokens_per_loc(t: Any) -> dict[str, Any]:
    with_loc = t.lines_of_code.fill_null(0) > 0
    tokens = t.input_tokens.fill_null(0) + t.output_tokens.fill_null(0)
    return {
        "numerator": with_loc.ifelse(tokens, 0).cast("float64").sum(),
        "denominator": with_loc.ifelse(t.lines_of_code, 0).cast("float64").sum(),
    }


def _tokens_per_success(t: Any) -> dict[str, Any]:
    tokens = t.input_tokens.fill_null(0) + t.output_tokens.fill_null(0)
    return {
        "numerator": tokens.cast("float64").sum(),
        "denominator": _n(t.succeeded).sum(),
    }


def _security_missed(t: Any) -> dict[str, Any]:
    missed = (t.kind == "project_completed").ifelse(t.security_issues_missed.fill_null(0), 0)
    found = (t.kind == "security_scan").ifelse(
        t.vulnerabilities_found.fill_null(0) - t.false_positives.fill_null(0), 0
    )
    return {
        "numerator": missed.cast("float64").sum(),
        "denominator": (found + missed).cast("float64").sum(),
    }


def _cost_per_project(t: Any) -> dict[str, Any]:
    return {
        "numerator": t.total_cost.cast("float64").sum(),
        "denominator": t.project_id.nunique().cast("float64"),
    }


def _rejections(t: Any) -> dict[str, Any]:
    feedback = (t.kind == "downstream_feedback") & t.rejected.fill_null(True)
    return {
        "numerator": _n(feedback).sum(),
        "denominator": _n(t.kind == "stage_execution").sum(),
    }


_METRICS: list[Metric] = [
    Metric(
        "gate_failure_rate",
        "Share of gate evaluations whose result is fail "
        "(fail / all gate evaluations, ambiguous included in the denominator).",
        "ratio",
        "share",
        GATE,
        _share(lambda t: t.validation_result == "fail"),
        label="Gate failure rate",
        lower_is_better=True,
    ),
    Metric(
        "gate_pass_rate",
        "Share of gate evaluations whose result is pass "
        "(pass / all gate evaluations); the success_rate of a prompt_version.",
        "ratio",
        "share",
        GATE,
        _share(lambda t: t.validation_result == "pass"),
        label="Gate pass rate",
        lower_is_better=False,
    ),
    Metric(
        "gate_failures",
        "Number of gate evaluations whose result is fail "
        "(per agent_role: the gate failures of each role).",
        "count",
        "events",
        GATE,
        _sum(lambda t: _n(t.validation_result == "fail")),
        label="Gate failures",
        lower_is_better=True,
    ),
    Metric(
        "avg_retries_per_task",
        "Mean over gate tasks (project, stage, gate_id) of "
        "max(retry_attempt) - 1: the retries a task needed beyond its first check.",
        "task_mean",
        "retries",
        GATE,
        lambda t: {},
        label="Avg retries per task",
        lower_is_better=True,
    ),
    Metric(
        "time_to_first_prototype",
        "Mean of project_completed.time_to_first_prototype: "
        "seconds from project start to the first accepted engineering output.",
        "mean",
        "seconds",
        ("project_completed",),
        _mean("time_to_first_prototype"),
        label="Time to first prototype",
        lower_is_better=True,
    ),
    Metric(
        "tokens_per_loc",
        "sum(input_tokens + output_tokens) / sum(lines_of_code) over "
        "stage executions that report lines_of_code > 0 (token efficiency).",
        "ratio",
        "tokens/line",
        STAGE,
        _tokens_per_loc,
        label="Tokens per line of code",
        lower_is_better=True,
    ),
    Metric(
        "tokens_per_success",
        "sum(input_tokens + output_tokens) / stage executions that succeeded: what one "
        "accepted output costs in tokens, retries and failures included.",
        "ratio",
        "tokens/success",
        STAGE,
        _tokens_per_success,
        label="Tokens per successful output",
        lower_is_better=True,
    ),
    Metric(
        "security_issues_missed_rate",
        "sum(project_completed.security_issues_missed) / "
        "(sum(security_scan.vulnerabilities_found - false_positives) + sum(missed)): share "
        "of real security issues the scans did not find.",
        "ratio",
        "share",
        ("project_completed", "security_scan"),
        _security_missed,
        label="Security issues missed",
        lower_is_better=True,
    ),
    Metric(
        "autonomous_decision_confidence",
        "Share of human approval decisions where the "
        "human accepted the agent's recommendation (decision_aligned true / decisions "
        "with decision_aligned known).",
        "ratio",
        "share",
        ("human_approval",),
        _share(lambda t: t.decision_aligned, lambda t: t.decision_aligned.notnull()),
        label="Autonomous decision confidence",
        lower_is_better=False,
    ),
    Metric(
        "agent_success_rate",
        "Share of stage executions whose output was accepted "
        "(succeeded true / stage executions with succeeded known).",
        "ratio",
        "share",
        STAGE,
        _share(lambda t: t.succeeded, lambda t: t.succeeded.notnull()),
        label="Agent success rate",
        lower_is_better=False,
    ),
    Metric(
        "human_override_rate",
        "Share of human approval decisions where the human did not take the agent's "
        "recommendation (decision_aligned false / decisions with decision_aligned known); "
        "the override_rate of pattern 4 (human overrides) and of the per-version metrics.",
        "ratio",
        "share",
        ("human_approval",),
        _share(lambda t: ~t.decision_aligned, lambda t: t.decision_aligned.notnull()),
        label="Human override rate",
        lower_is_better=True,
    ),
    Metric(
        "gate_override_rate",
        "Share of gate evaluations a human overrode (human_override true / all gate evaluations).",
        "ratio",
        "share",
        GATE,
        _share(lambda t: t.human_override),
        label="Gate override rate",
        lower_is_better=True,
    ),
    Metric(
        "escalation_rate",
        "Share of gate evaluations escalated to a human (escalated true / all gate evaluations).",
        "ratio",
        "share",
        GATE,
        _share(lambda t: t.escalated),
        label="Escalation rate",
        lower_is_better=True,
    ),
    Metric(
        "auto_fix_success_rate",
        "Share of applied auto-fixes that succeeded "
        "(auto_fix_success true / gate evaluations with auto_fix_applied true).",
        "ratio",
        "share",
        GATE,
        _share(lambda t: t.auto_fix_success, lambda t: t.auto_fix_applied),
        label="Auto-fix success rate",
        lower_is_better=False,
    ),
    Metric(
        "cost_per_project",
        "sum(stage_execution.total_cost) / number of distinct projects with a stage execution.",
        "ratio",
        "USD/project",
        STAGE,
        _cost_per_project,
        label="Cost per project",
        lower_is_better=True,
    ),
    Metric(
        "quality_score",
        "Mean of project_completed.quality_score (0-100).",
        "mean",
        "points",
        ("project_completed",),
        _mean("quality_score"),
        label="Quality score",
        lower_is_better=False,
    ),
    Metric(
        "test_coverage",
        "Mean of test_results.test_coverage_percent.",
        "mean",
        "percent",
        ("test_results",),
        _mean("test_coverage_percent"),
        label="Test coverage",
        lower_is_better=False,
    ),
    Metric(
        "flaky_tests",
        "Sum of test_results.flaky_tests.",
        "sum",
        "tests",
        ("test_results",),
        _sum(lambda t: t.flaky_tests.fill_null(0)),
        label="Flaky tests",
        lower_is_better=True,
    ),
    Metric(
        "p50_stage_duration",
        "Median (continuous percentile 0.5) of stage_execution.duration_seconds.",
        "percentile",
        "seconds",
        STAGE,
        _pct("duration_seconds", 0.5),
        label="Median stage duration",
        lower_is_better=True,
    ),
    Metric(
        "p95_stage_duration",
        "95th continuous percentile of stage_execution.duration_seconds.",
        "percentile",
        "seconds",
        STAGE,
        _pct("duration_seconds", 0.95),
        label="95th percentile stage duration",
        lower_is_better=True,
    ),
    Metric(
        "downstream_rejection_rate",
        "Downstream feedback events that rejected an output "
        "(rejected true) per stage execution; by role, the role whose output was judged.",
        "ratio",
        "rejections/stage",
        ("downstream_feedback", "stage_execution"),
        _rejections,
        label="Downstream rejection rate",
        lower_is_better=True,
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _METRICS}


def get_metric(name: str) -> Metric:
    """The metric called ``name``.

    Raises:
        UsageError: Naming the closest metric, or listing the known ones.
    """
    try:
        return METRICS[name]
    except KeyError:
        import difflib

        from autoforge_learn.errors import UsageError

        close = difflib.get_close_matches(name, METRICS, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(METRICS)}"
        raise UsageError(f"unknown metric {name!r}; {hint}") from None


def list_metrics() -> list[dict[str, Any]]:
    """Every metric as ``name, label, kind, unit, lower_is_better, definition``."""
    return [
        {
            "name": m.name,
            "label": m.label,
            "kind": m.kind,
            "unit": m.unit,
            "lower_is_better": m.lower_is_better,
            "definition": m.definition,
        }
        for m in _METRICS
    ]
