"""POST /v1/events: JSON array, JSON lines, gzip; each bad item named; idempotent by
event_id, also across a restart; body limits."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.store.validate import validate_files
from tests.server.conftest import Served, Tokens, free_port, gate, raw_lines, serving

pytestmark = pytest.mark.server

FLAT = {  # the spec's flat example form: no event_id, kind or schema_version
    "project_id": "flat-1", "stage": "architecture", "agent_role": "architect",
    "gate_id": "spec_complete", "gate_result": "fail",
    "gate_result_reason": "File does not exist at api/openapi.yaml",
    "timestamp": "2025-10-02T14:30:00Z",
}


def _post(client: httpx.Client, served: Served, token: str, body: bytes,
          **headers: str) -> httpx.Response:
    return client.post(served.url + "/v1/events", content=body,
                       headers={"Authorization": f"Bearer {token}", **headers})


def test_a_batch_is_written_once_however_often_it_is_sent(
    server: Served, tokens: Tokens, client: httpx.Client, store: Path
) -> None:
    batch = [gate("p1", i) for i in range(5)] + [FLAT, gate("p1", 0)]  # one repeated inside
    first = _post(client, server, tokens.write, orjson.dumps(batch))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 7, "accepted": 6, "duplicates": 1}
    again = _post(client, server, tokens.write, orjson.dumps(batch))
    assert again.json() == {"received": 7, "accepted": 0, "duplicates": 7}
    lines = raw_lines(store)
    assert len(lines) == 6
    report = validate_files(StoreLayout(store).raw_files())
    assert report.ok and report.kinds == {"gate_evaluation": 6}
    flat = [orjson.loads(line) for line in lines if b"flat-1" in line]
    assert flat[0]["validation_result"] == "fail" and flat[0]["event_id"].startswith("d-")


def test_jsonl_and_gzip_bodies(server: Served, tokens: Tokens, client: httpx.Client,
                               store: Path) -> None:
    jsonl = b"\n".join(orjson.dumps(gate("p2", i)) for i in range(4)) + b"\n\n"
    assert _post(client, server, tokens.write, jsonl).json()["accepted"] == 4
    zipped = gzip.compress(orjson.dumps([gate("p2", i) for i in range(3, 8)]))
    answer = _post(client, server, tokens.write, zipped, **{"Content-Encoding": "gzip"})
    assert answer.json() == {"received": 5, "accepted": 4, "duplicates": 1}
    zipped_lines = gzip.compress(b"\n".join(orjson.dumps(gate("p2", i)) for i in (8, 9)))
    answer = _post(client, server, tokens.write, zipped_lines, **{"Content-Encoding": "gzip"})
    assert answer.json()["accepted"] == 2
    assert len(raw_lines(store)) == 10
    bad = _post(client, server, tokens.write, b"[]", **{"Content-Encoding": "br"})
    assert bad.status_code == 415


def test_every_bad_item_is_named_and_nothing_of_the_batch_is_written(
    server: Served, tokens: Tokens, client: httpx.Client, store: Path
) -> None:
    batch = [
        gate("p3", 1),
        gate("p3", 2, validation_result="maybe"),
        {**gate("p3", 3), "project_id": "../etc"},
        [1, 2],
        {**gate("p3", 4), "kind": "nonsense"},
        {"project_id": "p3", "timestamp": "2025-10-02T14:30:00Z"},
    ]
    answer = _post(client, server, tokens.write, orjson.dumps(batch))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    named = {(e["index"], e["field"]) for e in errors}
    assert {(1, "validation_result"), (2, "project_id"), (3, "(event)"), (4, "kind"),
            (5, "kind")} <= named
    assert all(e["index"] != 0 for e in errors)
    assert "item 1: validation_result" in answer.json()["detail"]
    lines = b'{"kind": \n' + orjson.dumps(gate("p3", 9)) + b"\nnot json\n"
    answer = _post(client, server, tokens.write, lines)
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [
        (0, "(line)"), (2, "(line)")]
    broken = _post(client, server, tokens.write, b"[{]")
    assert broken.status_code == 422 and broken.json()["errors"][0]["index"] is None
    assert raw_lines(store) == []


def test_bodies_over_the_limit_are_refused(
    store: Path, tokens: Tokens, client: httpx.Client
) -> None:
    with serving(store, max_body_bytes=64 << 10) as served:
        big = orjson.dumps([gate("p4", i, validation_reason="x" * 400) for i in range(300)])
        assert len(big) > 64 << 10
        assert _post(client, served, tokens.write, big).status_code == 413
        bomb = gzip.compress(b"[" + b" " * (8 << 20) + b"]")  # 8 MiB of spaces, 8 KiB sent
        answer = _post(client, served, tokens.write, bomb, **{"Content-Encoding": "gzip"})
        assert answer.status_code == 413 and "decompressed" in answer.json()["detail"]
        small = orjson.dumps([gate("p4", 1)])
        assert _post(client, served, tokens.write, small).status_code == 200


def test_a_restarted_server_still_knows_what_it_wrote(
    store: Path, tokens: Tokens, client: httpx.Client
) -> None:
    batch = orjson.dumps([gate("p5", i) for i in range(20)] + [FLAT])
    with serving(store) as served:
        assert _post(client, served, tokens.write, batch).json()["accepted"] == 21
    with serving(store) as served:  # a new process would read the same files
        assert _post(client, served, tokens.write, batch).json()["duplicates"] == 21
    assert len(raw_lines(store)) == 21


def test_concurrent_batches_overlapping_are_counted_once(
    server: Served, tokens: Tokens, store: Path
) -> None:
    batches = [[gate(f"p6-{i % 3}", n) for n in range(i, i + 50)] for i in range(0, 400, 25)]
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda b: _post(client, server, tokens.write, orjson.dumps(b)).json(), batches))
    ids = {e["event_id"] for b in batches for e in b}
    assert sum(a["accepted"] for a in answers) == len(ids)
    written = [orjson.loads(line)["event_id"] for line in raw_lines(store)]
    assert sorted(written) == sorted(ids)


def test_autoforge_serve_runs_the_server(store: Path, tokens: Tokens) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoforge_learn", "serve", "--root", str(store),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1/events"
        deadline = time.monotonic() + 30
        with httpx.Client(timeout=10) as client:
            while True:
                try:
                    answer = client.post(url, content=orjson.dumps([gate("p7", 1)]),
                                         headers={"Authorization": f"Bearer {tokens.write}"})
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        assert answer.json()["accepted"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert len(raw_lines(store)) == 1


def test_the_journal_replays_what_a_crash_took_from_the_raw_files(store: Path) -> None:
    """Acknowledged events are in the flushed journal; if the raw files lost them (a
    crash before their flush), the next start writes them again, once."""
    from autoforge_learn.schema.parse import parse_event
    from autoforge_learn.server.writer import EventWriter

    writer = EventWriter(store)
    events = [parse_event(gate(f"p8-{n % 2}", n)) for n in range(10)]
    assert writer.write(events).accepted == 10
    journal = store / "server" / "journal.jsonl"
    assert len(journal.read_bytes().splitlines()) == 10
    lost = sorted((store / "ai" / "training_data" / "raw").rglob("*.jsonl"))[0]
    lost.write_bytes(lost.read_bytes().splitlines(keepends=True)[0])  # the crash
    assert len(raw_lines(store)) == 6
    # (the first writer is not closed: a crashed process does not checkpoint)
    again = EventWriter(store)
    assert again.replayed == 4
    assert sorted(orjson.loads(x)["event_id"] for x in raw_lines(store)) == sorted(
        e.event_id for e in events)
    assert journal.read_bytes() == b""  # checkpointed after the replay
    assert again.write(events).duplicates == 10
    again.close()
