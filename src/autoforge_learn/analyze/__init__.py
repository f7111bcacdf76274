"""Analytics over the raw events: an incremental index (DuckDB or PostgreSQL) and a
catalogue of metrics computed with ibis. Heavy libraries are imported lazily.

    from autoforge_learn.analyze import build_index, metric_values
    build_index(".autoforge")
    metric_values(".autoforge", "gate_failure_rate", by=["role"])
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_index", "list_metrics", "metric_values", "metric_report"]


def __getattr__(name: str) -> Any:
    if name == "build_index":
        from autoforge_learn.analyze.ingest import build_index

        return build_index
    if name in ("metric_values", "metric_report"):
        from autoforge_learn.analyze import query

        return getattr(query, name)
    if name == "list_metrics":
        from autoforge_learn.analyze.metrics import list_metrics

        return list_metrics
    raise AttributeError(name)
