"""The analytics index and the metrics catalogue.

The index (DuckDB file or PostgreSQL schema) is refreshed through the workspace
(``Workspace.refresh``); metrics are computed on it with
:func:`autoforge_learn.dataset.metric_values`. This package holds what lies below the
workspace: the engine choice, the incremental loader, the catalogue's definitions and
the compiled SQL. Heavy libraries are imported lazily.
"""

from __future__ import annotations

from typing import Any

__all__ = ["list_metrics"]


def __getattr__(name: str) -> Any:
    if name == "list_metrics":
        from autoforge_learn.analyze.metrics import list_metrics

        return list_metrics
    raise AttributeError(name)
