"""Export the store's events for analysis elsewhere (Parquet, CSV, JSONL).

Example:
    >>> from autoforge_learn.export import export_events
    >>> export_events(".autoforge", "events.parquet", kinds=["gate_evaluation"])
"""

from typing import Any

from autoforge_learn.export.formats import ExportFormat, ExportWhat

__all__ = ["ExportFormat", "ExportReport", "ExportWhat", "export_events", "format_for"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the exporters loads the schema (pydantic) and pyarrow.
    if name in ("ExportReport", "export_events", "format_for"):
        from autoforge_learn.export import raw

        return getattr(raw, name)
    raise AttributeError(f"module 'autoforge_learn.export' has no attribute {name!r}")
