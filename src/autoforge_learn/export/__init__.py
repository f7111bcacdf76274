"""Export the store's events for analysis elsewhere (Parquet, CSV, JSONL).

Example:
    >>> from autoforge_learn.export import export_events
    >>> export_events(".autoforge", "events.parquet", kinds=["gate_evaluation"])
"""

from autoforge_learn.export.raw import (
    ExportFormat,
    ExportReport,
    ExportWhat,
    export_events,
    format_for,
)

__all__ = ["ExportFormat", "ExportReport", "ExportWhat", "export_events", "format_for"]
