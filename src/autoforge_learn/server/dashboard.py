"""What the dashboard reads beside the CLI's JSON: the filter's choices and the report
set (listed, and read one file at a time, never outside the reports folder)."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import NotFoundError

if TYPE_CHECKING:
    from autoforge_learn.workspace import Workspace

#: The media types the report route answers with (anything else: octet-stream).
REPORT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _distinct(column: Any) -> list[str]:
    values = column.name("v").as_table().distinct().to_pyarrow().column("v").to_pylist()
    return sorted(str(v) for v in values if v not in (None, ""))


def options(ws: Workspace) -> dict[str, Any]:
    """The choices of the dashboard's filter: the store's roles, prompt versions,
    recipes and months (sorted), and the metric catalogue."""
    from autoforge_learn.analyze.metrics import list_metrics

    t = ws.events()
    started = t.filter(t.kind == "project_started")
    return {
        "roles": _distinct(t.agent_role),
        "prompt_versions": _distinct(t.prompt_version),
        "recipes": _distinct(started.recipe),
        "months": _distinct(t.month),
        "metrics": [
            {k: m[k] for k in ("name", "label", "unit", "kind", "lower_is_better")}
            for m in list_metrics()
        ],
    }


def list_reports(folder: Path) -> list[dict[str, Any]]:
    """The files of the report set (its charts under ``assets/`` included), newest
    first: ``path`` (relative, with ``/``), ``bytes``, ``modified`` (UTC ISO) and ``type``."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    files.sort(key=lambda p: (-p.stat().st_mtime, p.as_posix()))
    return [
        {
            "path": p.relative_to(folder).as_posix(),
            "bytes": p.stat().st_size,
            "modified": datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(
                timespec="seconds"
            ),
            "type": media_type(p),
        }
        for p in files
    ]


def media_type(path: Path) -> str:
    """The media type a report file is served with."""
    known = REPORT_TYPES.get(path.suffix.lower())
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def report_file(folder: Path, relative: str) -> Path:
    """The file ``relative`` of the report set.

    Raises:
        NotFoundError: For a file not there, a hidden one, or a path leaving the folder
            (``..``, an absolute path, a symbolic link pointing out).
    """
    base = folder.resolve()
    parts = Path(relative).parts
    if (not relative or Path(relative).is_absolute() or ".." in parts
            or any(p.startswith(".") for p in parts)):
        raise NotFoundError(f"no report {relative!r}")
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise NotFoundError(f"no report {relative!r}")
    return target
