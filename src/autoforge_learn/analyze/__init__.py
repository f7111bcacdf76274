"""Analytics over the raw events: an incremental index (DuckDB or PostgreSQL) and a
catalogue of metrics computed with ibis. Heavy libraries are imported lazily.

    from autoforge_learn import Workspace
    from autoforge_learn.analyze import build_index, metric_values

    with Workspace.open(".autoforge") as ws:
        build_index(ws)
        metric_values(ws, "gate_failure_rate", by=["role"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoforge_learn.analyze.report import IndexReport
    from autoforge_learn.workspace import IndexProgress, Workspace

__all__ = ["build_index", "list_metrics", "metric_values"]


def build_index(
    ws: Workspace,
    *,
    strict: bool = False,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
) -> IndexReport:
    """Bring the workspace's index up to date with its raw files (see
    :meth:`autoforge_learn.workspace.Workspace.refresh`)."""
    return ws.refresh(strict=strict, rebuild=rebuild, progress=progress)


def __getattr__(name: str) -> Any:
    if name == "metric_values":
        from autoforge_learn.analyze.query import metric_values

        return metric_values
    if name == "list_metrics":
        from autoforge_learn.analyze.metrics import list_metrics

        return list_metrics
    raise AttributeError(name)
