"""Fixtures shared by every test module.

``engine`` runs a test on DuckDB and on PostgreSQL: ``AUTOFORGE_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets its own schema, dropped
afterwards. If the server is unreachable the postgres tests fail under CI
(``CI=true``) and are skipped elsewhere. ``open_ws`` opens a workspace on that engine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.workspace import Workspace

PG_URL = os.environ.get("AUTOFORGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


#: The real ChatDev run logs (read-only, beside the repository in development and CI).
CHATDEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chatdev"


def chatdev_logs() -> Path:
    """The ChatDev logs, or a skip with the reason (a fresh clone has no ``../shared``);
    in CI they must be there."""
    if not CHATDEV.is_dir():
        message = f"the real ChatDev logs are not at {CHATDEV} (../shared beside the repo)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHATDEV


def in_ci() -> bool:
    """Whether the tests run in CI (where everything they need must be there)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as con:
            con.execute("SELECT 1")
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc)


def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL engine URL with a fresh schema, dropped afterwards."""
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL unreachable at {PG_URL}: {problem}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    schema = f"af_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded DuckDB index, or a PostgreSQL URL with a fresh schema."""
    if request.param == "duckdb":
        yield None
        return
    yield from pg_schema_url()


@pytest.fixture
def open_ws(engine: str | None) -> Iterator[Callable[..., Workspace]]:
    """Open workspaces on the test's engine: ``open_ws(root, **settings overrides)``;
    every one is closed after the test."""
    opened: list[Workspace] = []

    def make(root: Path | str, settings: dict[str, Any] | None = None) -> Workspace:
        from autoforge_learn.settings import Settings

        merged = Settings().merged(settings) if settings else None
        ws = Workspace(root, engine=engine, settings=merged)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def af_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``.autoforge`` root; the working directory is its parent, no AUTOFORGE_HOME."""
    monkeypatch.delenv("AUTOFORGE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / ".autoforge"
