"""Answer a metric question: filters, group-by dimensions and the ibis query."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from autoforge_learn.analyze.metrics import Metric, get_metric

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


def _parse_since(since: str | date | datetime | None) -> datetime | None:
    if isinstance(since, datetime):
        return _parse_since(since.isoformat())
    if since is None:
        return None
    if isinstance(since, date):
        return datetime(since.year, since.month, since.day)
    moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    if moment.tzinfo is not None:  # the index holds naive UTC
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def metric_expr(
    t: Any,
    metric: Metric,
    *,
    by: tuple[str, ...] = (),
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
) -> Any:
    """The ibis expression of a metric over the events table ``t``."""
    for dim in by:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
    events = t
    if last_projects is not None:
        firsts = t.group_by("project_id").aggregate(first=t.ts.min())
        keep = firsts.order_by([firsts.first.desc(), firsts.project_id.desc()]).limit(last_projects)
        events = events.filter(events.project_id.isin(keep.project_id))
    start = _parse_since(since)
    if start is not None:
        events = events.filter(events.ts >= start)
    if any(d in _PROJECT_DIMS for d in by):
        started = t.filter(t.kind == "project_started")
        meta = started.group_by("project_id").aggregate(
            p_recipe=started.recipe.max(), p_domain=started.client_domain.max()
        )
        events = events.filter(events.kind.isin(metric.kinds))
        events = events.left_join(meta, events.project_id == meta.project_id)
        events = events.mutate(recipe=events.p_recipe, client_domain=events.p_domain)
    else:
        events = events.filter(events.kind.isin(metric.kinds))
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
    since: datetime | None,
    last_projects: int | None,
    ahead: Future[str] | None = None,
) -> str:
    """The SQL ibis compiles for a metric question, cached in the index (``af_sqlcache``).

    Compiling needs ``import ibis`` (a third of a warm command's time), so the compiled
    text is kept, keyed by the question and by the source of the metric definitions.
    ``ahead``, if given, is the same compile already under way (used on a cache miss).
    """
    key = _cache_key(
        dialect, (metric.name, by, since.isoformat() if since else None, last_projects)
    )
    mark = "%s" if dialect == "postgres" else "?"
    row = raw.execute(f"SELECT sql FROM af_sqlcache WHERE key = {mark}", [key]).fetchone()
    if row is not None:
        return str(row[0])
    if ahead is not None:
        sql = ahead.result()
    else:
        sql = compile_sql(dialect, metric, by=by, since=since, last_projects=last_projects)
    raw.execute(f"DELETE FROM af_sqlcache WHERE key = {mark}", [key])
    raw.execute(f"INSERT INTO af_sqlcache VALUES ({mark}, {mark})", [key, sql])
    return sql


def compile_sql(
    dialect: str,
    metric: Metric,
    *,
    by: tuple[str, ...],
    since: datetime | None,
    last_projects: int | None,
) -> str:
    """Compile a metric question with ibis (no connection needed)."""
    import ibis

    expr = metric_expr(events_table(), metric, by=by, since=since, last_projects=last_projects)
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
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
    ahead: Future[str] | None = None,
) -> list[dict[str, Any]]:
    """Compute a metric on a DB-API connection to the index; rows sorted by group keys.

    The ibis expression is compiled for ``dialect`` (``duckdb`` or ``postgres``) and run
    on ``raw``, so no schema round trip is paid. ``ahead``: see :func:`compiled_sql`.
    """
    metric = get_metric(name)
    by = tuple(by)
    for dim in by:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
    start = _parse_since(since)
    sql = compiled_sql(
        raw, dialect, metric, by=by, since=start, last_projects=last_projects, ahead=ahead
    )
    cursor = raw.execute(sql)
    names = [d[0] for d in cursor.description]
    records = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    rows = []
    for record in records:
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
        rows.append(row)
    rows.sort(key=lambda r: tuple((r[d] is None, str(r[d])) for d in by))
    return rows


def metric_values(
    root: Path | str | None,
    metric: str,
    *,
    by: tuple[str, ...] | list[str] = (),
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
    engine: str | None = None,
    strict: bool = False,
    refresh: bool = True,
) -> list[dict[str, Any]]:
    """Bring the index up to date, then compute one metric.

    Returns:
        One dict per group: the group keys (by dimension name), ``value`` and, for
        ratio metrics, ``numerator`` and ``denominator``.
    """
    return metric_report(
        root,
        metric,
        by=by,
        since=since,
        last_projects=last_projects,
        engine=engine,
        strict=strict,
        refresh=refresh,
    )[0]


def metric_report(
    root: Path | str | None,
    metric: str,
    *,
    by: tuple[str, ...] | list[str] = (),
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
    engine: str | None = None,
    strict: bool = False,
    refresh: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[dict[str, Any]], Any]:
    """Like :func:`metric_values`, also returning the index refresh report.

    ``progress`` is called as the refresh reads raw data (see
    :func:`autoforge_learn.analyze.ingest.build_index`)."""
    from autoforge_learn.analyze.engine import connect_raw, raw_dir, resolve_engine
    from autoforge_learn.analyze.ingest import IndexReport, InvalidLinesError, refresh_index
    from autoforge_learn.store.layout import find_root

    definition = get_metric(metric)
    root_path = find_root(root)
    spec = resolve_engine(root_path, engine)
    dialect = "duckdb" if spec.kind == "duckdb" else "postgres"
    ahead: Future[str] | None = None
    pool = None
    if refresh and spec.kind == "duckdb" and not Path(spec.target).exists():
        # A first build: nothing is cached yet, and the build leaves a core partly idle,
        # so ibis compiles the question meanwhile (its import alone is ~0.3 s).
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        ahead = pool.submit(
            compile_sql,
            dialect,
            definition,
            by=tuple(by),
            since=_parse_since(since),
            last_projects=last_projects,
        )
    raw = connect_raw(spec)
    try:
        report = (
            refresh_index(raw, spec, raw_dir(root_path), progress=progress)
            if refresh
            else IndexReport(engine=spec.label)
        )
        if strict and report.issues:
            raise InvalidLinesError(report)
        rows = run_metric(
            raw, dialect, metric, by=by, since=since, last_projects=last_projects, ahead=ahead
        )
    finally:
        raw.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return rows, report
