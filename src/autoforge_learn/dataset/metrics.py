"""Metrics of the catalogue on a workspace's index, under a selection."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.analyze.metrics import get_metric
from autoforge_learn.analyze.query import check_dimensions, compile_sql, run_metric

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


def metric_values(
    ws: Workspace,
    metric: str,
    *,
    by: tuple[str, ...] | list[str] = (),
    selection: Selection | None = None,
) -> list[dict[str, Any]]:
    """Compute one metric on the workspace's index (refreshed first, once).

    Args:
        ws: The workspace.
        metric: A metric of the catalogue (``autoforge metrics list``).
        by: Group-by dimensions (see :data:`DIMENSIONS`).
        selection: Which events (default: all).

    Returns:
        One dict per group: the group keys (by dimension name), ``value`` and, for
        ratio metrics, ``numerator`` and ``denominator``.

    Raises:
        UsageError: For an unknown metric or dimension.
    """
    from autoforge_learn.selection import Selection

    definition = get_metric(metric)
    by = tuple(by)
    check_dimensions(by)
    selection = selection or Selection()
    ahead: Future[str] | None = None
    pool = None
    if ws.index_report is None and ws.engine.kind == "duckdb" and not Path(
        ws.engine.target
    ).exists():
        # A first build: nothing is cached yet, and the build leaves a core partly idle,
        # so ibis compiles the question meanwhile (its import alone is ~0.3 s).
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        ahead = pool.submit(compile_sql, ws.dialect, definition, by=by, selection=selection)
    try:
        ws.ensure_fresh()
        return run_metric(
            ws.connection(), ws.dialect, metric, by=by, selection=selection, ahead=ahead
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
