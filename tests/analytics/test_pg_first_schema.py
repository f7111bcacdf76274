"""Two first refreshes of a new PostgreSQL schema at once both succeed (CREATE SCHEMA IF
NOT EXISTS races in PostgreSQL: one of them used to fail with UniqueViolation)."""

from __future__ import annotations

import threading
from pathlib import Path

from autoforge_learn.collect.collector import Collector
from tests.conftest import pg_schema_url


def test_concurrent_first_connections_to_a_new_schema(tmp_path: Path) -> None:
    from autoforge_learn.analyze.engine import connect_raw, resolve_engine

    root = tmp_path / ".autoforge"
    with Collector(root) as c:
        c.on_gate_evaluation(project_id="p1", gate_id="g", validation_result="pass")
    urls = pg_schema_url()
    url = next(urls)
    try:
        spec = resolve_engine(root, url)
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def first() -> None:
            try:
                start.wait()
                connect_raw(spec).close()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        for _ in range(5):  # the race is narrow: try it a few times
            workers = [threading.Thread(target=first) for _ in range(8)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
            import psycopg

            with psycopg.connect(spec.target, autocommit=True) as con:
                con.execute(f'DROP SCHEMA IF EXISTS "{spec.schema}" CASCADE')
        assert errors == []
    finally:
        next(urls, None)
