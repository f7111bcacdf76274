"""The SDK's HTTP sink loses nothing and counts nothing twice: 4 processes x 12,500
events while the server stops and restarts; a spool left behind is re-sent next start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from autoforge_learn.collect import Collector
from tests.server.conftest import Tokens, free_port, raw_lines, serving, start

pytestmark = pytest.mark.server

CLIENT = Path(__file__).with_name("sink_client.py")


def _count(root: Path) -> int:
    return sum(len(p.read_bytes().splitlines())
               for p in (root / "ai" / "training_data" / "raw").rglob("*.jsonl"))


def test_an_outage_in_the_middle_of_50000_events_from_4_processes(
    store: Path, tokens: Tokens, tmp_path: Path
) -> None:
    port = free_port()
    served = start(store, port=port)
    url = served.url
    procs = [
        subprocess.Popen(
            [sys.executable, str(CLIENT), str(tmp_path / f"client{i}" / ".autoforge"), url,
             tokens.write, f"c{i}", "12500"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    try:
        deadline = time.monotonic() + 30
        while served.ws.root.exists() and _count_safe(store) < 8000:  # mid-stream
            assert time.monotonic() < deadline, "the clients sent nothing"
            time.sleep(0.05)
        served.stop()
        served.ws.close()
        at_stop = _count(store)
        time.sleep(1.5)  # the clients keep going: their batches are spooled
        served = start(store, port=port)
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.kill()
        served.stop()
        served.ws.close()
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert out.decode().strip() == "0"  # nothing refused
    assert at_stop < 50_000
    ids = [orjson.loads(line)["event_id"] for line in raw_lines(store)]
    assert len(ids) == 50_000
    assert set(ids) == {f"c{i}-{n}" for i in range(4) for n in range(12_500)}
    leftovers = [p for i in range(4) for p in (tmp_path / f"client{i}").rglob("spool-*")]
    assert leftovers == []


def _count_safe(root: Path) -> int:
    try:
        return _count(root)
    except FileNotFoundError:
        return 0


def test_a_spool_left_behind_is_sent_at_the_next_start(
    store: Path, tokens: Tokens, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"  # nothing listens there yet
    client_root = tmp_path / "client" / ".autoforge"
    first = Collector(client_root, url=url, token=tokens.write)
    for i in range(1200):
        first.on_gate_evaluation(project_id="late", gate_id="g", validation_result="pass",
                                 event_id=f"late-{i}")
    first.close()
    (spooled,) = (client_root / "spool").glob("spool-*.jsonl")
    assert len(spooled.read_bytes().splitlines()) == 1200
    assert first.sink is not None and first.sink.refused == 0
    with serving(store, port=port):
        second = Collector(client_root, url=url, token=tokens.write)
        second.on_gate_evaluation(project_id="late", gate_id="g", validation_result="fail",
                                  event_id="late-last")
        second.close()
    ids = {orjson.loads(line)["event_id"] for line in raw_lines(store)}
    assert ids == {f"late-{i}" for i in range(1200)} | {"late-last"}
    assert list((client_root / "spool").glob("spool-*")) == []
    assert not (client_root / "ai").exists()  # nothing was written locally
