"""Stage runs: each stage execution with the gate checks linked to it."""

from __future__ import annotations

from typing import Any

from autoforge_learn.dataset.links import link_events


def stage_runs(stages: Any, gates: Any) -> Any:
    """One row per stage execution with its gate checks (see
    :mod:`autoforge_learn.dataset.links` for which checks belong to which run).

    Adds ``run`` (0..n-1), ``checks``, ``retries`` (checks with ``retry_attempt > 1``),
    ``failures`` and ``all_first_pass`` (checked, every check passed first time, and the
    stage succeeded or did not say).
    """
    runs = stages.copy()
    runs["run"] = range(len(runs))
    for name in ("checks", "retries", "failures"):
        runs[name] = 0
    runs["all_first_pass"] = False
    if runs.empty or gates.empty:
        return runs
    linked = link_events(gates, runs, "during")
    checks = gates.assign(output_id=linked.to_numpy()).dropna(subset=["output_id"])
    checks = checks.assign(
        retry=checks["retry_attempt"].fillna(1) > 1,
        fail=checks["validation_result"] != "pass",
    )
    per = checks.groupby("output_id").agg(
        checks=("event_id", "size"), retries=("retry", "sum"), failures=("fail", "sum")
    )
    runs = runs.drop(columns=["checks", "retries", "failures"]).merge(
        per, left_on="event_id", right_index=True, how="left"
    )
    for name in ("checks", "retries", "failures"):
        runs[name] = runs[name].fillna(0).astype(int)
    runs["all_first_pass"] = (
        (runs["checks"] > 0)
        & (runs["retries"] == 0)
        & (runs["failures"] == 0)
        & (runs["succeeded"].fillna(True).astype(bool))
    )
    return runs
