"""Answer a metric question: filters, group-by dimensions and the ibis query."""

from __future__ import annotations

import math
import os
from concurrent.futures import Future
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.analyze.metrics import Metric, get_metric
from autoforge_learn.errors import UsageError

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection

#: ``--by`` dimensions -> column of the events table (recipe and domain come from the
#: project's project_started event).
DIMENSIONS: dict[str, str] = {
    "role": "agent_role",
    "prompt_version": "prompt_version",
    "model": "agent_model",
    "recipe": "recipe",
    "domain": "client_domain",
    "gate": "gate_id",
    "stage": "stage",
    "month": "month",
    "project": "project_id",
}
_PROJECT_DIMS = ("recipe", "domain")


def check_dimensions(by: tuple[str, ...]) -> None:
    """Raise :class:`UsageError` for a ``--by`` dimension that does not exist."""
    import difflib

    for dim in by:
        if dim not in DIMENSIONS:
            close = difflib.get_close_matches(dim, DIMENSIONS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(DIMENSIONS)}"
            raise UsageError(f"--by {dim!r} is no dimension; {hint}")


def metric_expr(
    t: Any,
    metric: Metric,
    *,
    by: tuple[str, ...] = (),
    selection: Selection | None = None,
) -> Any:
    """The ibis expression of a metric over the events table ``t`` under a selection."""
    check_dimensions(by)
    events = selection.events(t) if selection is not None else t
    events = events.filter(events.kind.isin(metric.kinds))
    if any(d in _PROJECT_DIMS for d in by):
        started = t.filter(t.kind == "project_started")
        meta = started.group_by("project_id").aggregate(
            p_recipe=started.recipe.max(), p_domain=started.client_domain.max()
        )
        events = events.left_join(meta, events.project_id == meta.project_id)
        events = events.mutate(recipe=events.p_recipe, client_domain=events.p_domain)
    keys = [DIMENSIONS[d] for d in by]
    if metric.kind == "task_mean":
        task_keys = list(dict.fromkeys(["project_id", "stage", "gate_id", *keys]))
        tasks = events.group_by(task_keys).aggregate(top=events.retry_attempt.max())
        aggs = {
            "numerator": (tasks.top - 1).cast("float64").sum(),
            "denominator": tasks.count().cast("float64"),
        }
        events = tasks
    else:
        aggs = metric.reductions(events)
    if keys:
        return events.group_by(keys).aggregate(**aggs)
    return events.aggregate(**aggs)


def _clean(value: Any) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _cache_key(dialect: str, parts: tuple[Any, ...]) -> str:
    import hashlib
    import importlib.util

    digest = hashlib.sha256(repr((dialect, parts)).encode())
    here = Path(__file__).parent
    for module in ("metrics.py", "query.py", "columns.py"):
        digest.update((here / module).read_bytes())
    spec = importlib.util.find_spec("ibis")
    if spec is not None and spec.origin:
        digest.update(str(os.stat(spec.origin).st_mtime_ns).encode())
    return digest.hexdigest()


def compiled_sql(
    raw: Any,
    dialect: str,
    metric: Metric,
    *,
    by: tuple[str, ...],
    selection: Selection,
    ahead: Future[str] | None = None,
) -> str:
    """The SQL ibis compiles for a metric question, cached in the index (``af_sqlcache``).

    Compiling needs ``import ibis`` (a third of a warm command's time), so the compiled
    text is kept, keyed by the question and by the source of the metric definitions.
    ``ahead``, if given, is the same compile already under way (used on a cache miss).
    """
    key = _cache_key(dialect, (metric.name, by, sorted(selection.to_dict().items())))
    mark = "%s" if dialect == "postgres" else "?"
    row = raw.execute(f"SELECT sql FROM af_sqlcache WHERE key = {mark}", [key]).fetchone()
    if row is not None:
        return str(row[0])
    sql = (
        ahead.result()
        if ahead is not None
        else compile_sql(dialect, metric, by=by, selection=selection)
    )
    raw.execute(f"DELETE FROM af_sqlcache WHERE key = {mark}", [key])
    raw.execute(f"INSERT INTO af_sqlcache VALUES ({mark}, {mark})", [key, sql])
    return sql


def compile_sql(dialect: str, metric: Metric, *, by: tuple[str, ...], selection: Selection) -> str:
    """Compile a metric question with ibis (no connection needed)."""
    import ibis

    expr = metric_expr(events_table(), metric, by=by, selection=selection)
    return str(ibis.to_sql(expr, dialect=dialect))


def events_table() -> Any:
    """The events table as an unbound ibis table (its schema is known: no round trip)."""
    import ibis

    from autoforge_learn.analyze.columns import ibis_schema

    return ibis.table(ibis_schema(), name="events")


def run_metric(
    raw: Any,
    dialect: str,
    name: str,
    *,
    by: tuple[str, ...] | list[str] = (),
    selection: Selection | None = None,
    ahead: Future[str] | None = None,
) -> list[dict[str, Any]]:
    """Compute a metric on a DB-API connection to the index; rows sorted by group keys.

    The ibis expression is compiled for ``dialect`` (``duckdb`` or ``postgres``) and run
    on ``raw``, so no schema round trip is paid. ``ahead``: see :func:`compiled_sql`.
    """
    from autoforge_learn.selection import Selection

    metric = get_metric(name)
    by = tuple(by)
    check_dimensions(by)
    sql = compiled_sql(raw, dialect, metric, by=by, selection=selection or Selection(), ahead=ahead)
    cursor = raw.execute(sql)
    names = [d[0] for d in cursor.description]
    records = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    rows = [_row(metric, record, by) for record in records]
    rows.sort(key=lambda r: tuple((r[d] is None, str(r[d])) for d in by))
    return rows


def _row(metric: Metric, record: dict[str, Any], by: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {dim: record[DIMENSIONS[dim]] for dim in by}
    if metric.is_ratio:
        num, den = _clean(record["numerator"]), _clean(record["denominator"])
        num = 0 if num is None else num
        den = 0 if den is None else den
        row["value"] = (num / den) if den else None
        if metric.kind == "ratio":
            row["numerator"], row["denominator"] = num, den
    else:
        value = _clean(record["value"])
        if metric.kind == "percentile" and value is not None:
            value = float(value)
        if metric.kind in ("count", "sum") and value is None:
            value = 0
        row["value"] = value
    return row
