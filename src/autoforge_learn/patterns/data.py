"""The events the detectors work on, selected on the engine and fetched once.

Filtering (``since``, the last N projects, one recipe) and the choice of columns run as
ibis expressions on the engine (DuckDB or PostgreSQL); the compact per-kind frames that
come back are shared by all eight detectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from autoforge_learn.patterns.source import events_table, field

_PROJECT = ("project_id", "recipe", "client_domain", "platform", "team_size")


@dataclass
class Dataset:
    """Per-kind frames (pandas) of the selected projects.

    Attributes:
        projects: One row per project: ``project_id, started, recipe, client_domain,
            platform, team_size, project_success, quality_score, time_to_completion,
            token_cost_total``.
        gates: Gate checks with ``validation_reason``, ``auto_fix_strategy``,
            ``max_retries`` and the project's ``platform`` and ``client_domain``.
        stages: Stage executions with tokens, confidence, upstream role and project
            attributes.
        feedback: Downstream feedback: ``agent_role`` is the target (judged) agent.
        approvals: Human approvals with recommendation, decision, options, reasoning and
            the human's confidence.
        escalations: Escalations with ``resolved``.
    """

    projects: Any
    gates: Any
    stages: Any
    feedback: Any
    approvals: Any
    escalations: Any


def _as_datetime(value: str | date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(value).replace(tzinfo=None)


def _parse_json_texts(column: Any) -> list[Any]:
    """JSON texts (or missing values) as Python values."""
    import orjson

    return [orjson.loads(v) if isinstance(v, str) else None for v in column.tolist()]


def load_dataset(
    root: Path | str,
    *,
    engine: str | None = None,
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
    recipe: str | None = None,
    table: Any | None = None,
) -> Dataset:
    """Select events on the engine and fetch the frames the detectors use.

    Args:
        root: The ``.autoforge`` directory.
        engine: None/``duckdb`` or a PostgreSQL URL.
        since: Only events at or after this date (UTC).
        last_projects: Only the N most recently started projects.
        recipe: Only projects of this recipe (exact name, e.g. ``web_app_v2``) or recipe
            family (``web_app``).
        table: An ibis events table to use instead of opening ``root``'s index.
    """
    import pandas as pd

    t = table if table is not None else events_table(root, engine)
    if since is not None:
        t = t.filter(t.ts >= _as_datetime(since))
    started = t.filter(t.kind == "project_started")
    starts = t.group_by("project_id").aggregate(started=t.ts.min())
    if recipe is not None:
        family = started.recipe.re_replace(r"_v[0-9.]+$", "")
        chosen = started.filter((started.recipe == recipe) | (family == recipe))
        starts = starts.filter(starts.project_id.isin(chosen.project_id))
    if last_projects is not None:
        starts = starts.order_by([starts.started.desc(), starts.project_id.desc()]).limit(
            int(last_projects)
        )
    if recipe is not None or last_projects is not None:
        t = t.filter(t.project_id.isin(starts.project_id))
        starts = starts.filter(starts.project_id.isin(t.project_id))
    start_df = starts.execute()

    meta = started.select(
        "project_id", "recipe", "client_domain",
        platform=field(started, "platform"), team_size=field(started, "team_size", "int"),
    ).execute().drop_duplicates("project_id")
    done = t.filter(t.kind == "project_completed")
    done_df = done.select(
        "project_id", "project_success", "quality_score", "time_to_completion",
        "token_cost_total",
    ).execute().drop_duplicates("project_id")
    projects = start_df.merge(meta, on="project_id", how="left").merge(
        done_df, on="project_id", how="left"
    ).sort_values(["started", "project_id"], kind="stable").reset_index(drop=True)
    attrs = projects[["project_id", "platform", "client_domain", "recipe", "team_size"]]

    g = t.filter(t.kind == "gate_evaluation")
    gates = g.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version", "gate_id",
        "validation_result", "retry_attempt", "auto_fix_applied", "auto_fix_success",
        "human_override", "escalated",
        validation_reason=field(g, "validation_reason"),
        auto_fix_strategy=field(g, "auto_fix_strategy"),
        max_retries=field(g, "max_retries", "int"),
    ).execute()
    s = t.filter(t.kind == "stage_execution")
    stages = s.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version",
        "input_tokens", "output_tokens", "total_cost", "duration_seconds", "attempt",
        "succeeded", "confidence",
        upstream_stage=field(s, "upstream_stage"),
        upstream_agent_role=field(s, "upstream_agent_role"),
    ).execute()
    f = t.filter(t.kind == "downstream_feedback")
    feedback = f.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "reporting_agent",
        "severity", "rejected",
        reporting_stage=field(f, "reporting_stage"), feedback=field(f, "feedback"),
    ).execute()
    a = t.filter(t.kind == "human_approval")
    approvals = a.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "prompt_version",
        "decision_type", "decision_aligned",
        human_decision=field(a, "human_decision"),
        agent_recommendation=field(a, "agent_recommendation"),
        human_reasoning=field(a, "human_reasoning"),
        # as text, parsed below with orjson: ibis' JSON conversion (json.loads through
        # pandas) took a second per 150,000 approvals
        options_offered=field(a, "options_offered", "json").cast("string"),
        human_confidence=field(a, "human_confidence", "float"),
    ).execute()
    approvals["options_offered"] = _parse_json_texts(approvals["options_offered"])
    e = t.filter(t.kind == "escalation")
    escalations = e.select(
        "event_id", "project_id", "ts", "stage", "agent_role", "gate_id",
        resolved=field(e, "resolved", "bool"),
    ).execute()

    def with_attrs(frame: Any) -> Any:
        out = frame.merge(attrs, on="project_id", how="left")
        return out.sort_values(["ts", "event_id"], kind="stable").reset_index(drop=True)

    return Dataset(
        projects=projects,
        gates=with_attrs(gates),
        stages=with_attrs(stages),
        feedback=with_attrs(feedback),
        approvals=with_attrs(approvals),
        escalations=with_attrs(escalations) if len(escalations) else pd.DataFrame(
            columns=[*escalations.columns, "platform", "client_domain", "recipe", "team_size"]
        ),
    )


def stage_runs(data: Dataset) -> Any:
    """One row per stage execution with its gate checks: ``checks``, ``retries`` (checks
    with ``retry_attempt > 1``), ``failures``, ``all_first_pass`` (every gate passed on
    its first check) and ``top`` reasons. A gate check belongs to the first execution of
    the same project and stage that ends at or after it."""
    import pandas as pd

    stages = data.stages.copy()
    gates = data.gates.copy()
    stages["run"] = range(len(stages))
    if stages.empty:
        for name in ("checks", "retries", "failures"):
            stages[name] = 0
        stages["all_first_pass"] = False
        return stages
    gates = gates.sort_values("ts", kind="stable")
    right = stages[["project_id", "stage", "ts", "run"]].sort_values("ts", kind="stable")
    merged = pd.merge_asof(
        gates[["ts", "project_id", "stage", "retry_attempt", "validation_result"]],
        right, on="ts", by=["project_id", "stage"], direction="forward",
    )
    merged = merged.dropna(subset=["run"])
    merged["run"] = merged["run"].astype(int)
    merged["retry"] = merged["retry_attempt"].fillna(1) > 1
    merged["fail"] = merged["validation_result"] != "pass"
    per = merged.groupby("run").agg(
        checks=("ts", "size"), retries=("retry", "sum"), failures=("fail", "sum")
    )
    stages = stages.merge(per, left_on="run", right_index=True, how="left")
    for name in ("checks", "retries", "failures"):
        stages[name] = stages[name].fillna(0).astype(int)
    stages["all_first_pass"] = (
        (stages["checks"] > 0) & (stages["retries"] == 0) & (stages["failures"] == 0)
        & (stages["succeeded"].fillna(True).astype(bool))
    )
    return stages
