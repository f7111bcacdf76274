"""One-call forms of library steps for tests that look at one step at a time: each
opens its own workspace (as a separate command would) and closes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autoforge_learn.analyze.report import IndexReport
from autoforge_learn.selection import Selection
from autoforge_learn.workspace import Workspace


def build_index(root: Path | str, engine: str | None = None, **options: Any) -> IndexReport:
    """Refresh the index of ``root`` (``strict``, ``rebuild``, ``progress``)."""
    with Workspace(root, engine=engine) as ws:
        return ws.refresh(**options)


def metric_values(
    root: Path | str,
    metric: str,
    *,
    engine: str | None = None,
    by: tuple[str, ...] | list[str] = (),
    **selection: Any,
) -> list[dict[str, Any]]:
    """One metric of ``root``; ``selection`` takes :meth:`Selection.build`'s options."""
    from autoforge_learn.dataset.metrics import metric_values as compute

    with Workspace(root, engine=engine) as ws:
        return compute(ws, metric, by=by, selection=Selection.build(**selection))


def module_workspace(engine: str, root: Path) -> Iterator[Workspace]:
    """A refreshed workspace over ``root`` on ``engine`` (``duckdb``, or ``postgres``: a
    fresh schema, dropped afterwards), for a module-scoped fixture whose tests only read
    the store: ``yield from module_workspace(request.param, root)``."""
    from tests.conftest import pg_schema_url

    schemas = pg_schema_url() if engine == "postgres" else None
    url = next(schemas) if schemas is not None else None
    ws = Workspace(root, engine=url)
    ws.refresh()
    yield ws
    ws.close()
    if schemas is not None:
        next(schemas, None)  # drops the schema
