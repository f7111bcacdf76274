"""``project_<id>_summary.json``: a project's outcome and event counts, beside its raw files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoforge_learn.schema.events import SCHEMA_VERSION, EventKind, ProjectCompleted
from autoforge_learn.store.jsonl import write_json_atomic
from autoforge_learn.store.layout import StoreLayout


def write_summary(
    layout: StoreLayout, project_id: str, month: str, outcome: ProjectCompleted
) -> Path:
    """Write the summary of a project from its outcome and its raw files."""
    from autoforge_learn.schema.parse import derive_event_id

    counts: dict[str, int] = {}
    metadata: dict[str, Any] = {}
    seen: set[str] = set()
    # A lenient, fast look (the writer's own lines); each event counted once, as every
    # reader counts it (validating here would cost a quarter of a simulation's time).
    for obj, text in layout.project_lines(project_id, month):
        event_id = obj.get("event_id") or derive_event_id(text)
        kind = obj.get("kind")
        if kind is None or event_id in seen:
            continue
        seen.add(str(event_id))
        counts[kind] = counts.get(kind, 0) + 1
        if kind == EventKind.PROJECT_STARTED and not metadata:
            metadata = {
                k: v
                for k, v in obj.items()
                if k not in ("event_id", "kind", "schema_version", "timestamp")
            }
    summary = {
        "project_id": project_id,
        "schema_version": SCHEMA_VERSION,
        **{k: v for k, v in metadata.items() if k != "project_id"},
        "outcome": outcome.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"kind", "schema_version", "project_id"},
        ),
        "event_counts": dict(sorted(counts.items())),
    }
    path = layout.summary_file(project_id, month)
    write_json_atomic(path, summary)
    return path
