"""The server on the PostgreSQL engine: events posted are in the metrics read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import pg_schema_url
from tests.server.conftest import Tokens, gate, serving

pytestmark = [pytest.mark.server, pytest.mark.postgres]


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_schema_url()


def test_events_round_trip_into_the_postgres_metrics(
    store: Path, tokens: Tokens, pg_url: str
) -> None:
    write, read = tokens.auth(tokens.write), tokens.auth(tokens.read)
    started = {"kind": "project_started", "project_id": "pg-1", "recipe": "web_app_v1",
               "created_at": "2025-10-02T09:00:00Z", "timestamp": "2025-10-02T09:00:00Z",
               "event_id": "pg-1-start"}
    batch = [started] + [gate("pg-1", n) for n in range(9)]  # 3 of 9 fail
    with serving(store, engine=pg_url) as served, httpx.Client(timeout=60) as client:
        assert served.ws.dialect == "postgres"
        url = served.url
        first = client.post(url + "/v1/events", content=orjson.dumps(batch), headers=write)
        assert first.json() == {"received": 10, "accepted": 10, "duplicates": 0}
        metric = {"metric": "gate_pass_rate", "by": "role"}
        rows = client.get(url + "/v1/metrics", params=metric, headers=read).json()
        assert rows == [{"role": "architect", "value": pytest.approx(6 / 9),
                         "numerator": 6, "denominator": 9}]
        again = client.post(url + "/v1/events", content=orjson.dumps(batch), headers=write)
        assert again.json()["duplicates"] == 10
        more = [gate("pg-1", n) for n in range(9, 12)]  # 9 fails, 10 and 11 pass
        client.post(url + "/v1/events", content=orjson.dumps(more), headers=write)
        rows = client.get(url + "/v1/metrics", params=metric, headers=read).json()
        assert (rows[0]["numerator"], rows[0]["denominator"]) == (8, 12)
