"""Ingest throughput of ``autoforge serve``: events/s and latency per batch size.

Run:  python bench/bench_server.py [--events 60000] [--batches 100,500] [--clients 4]

The server runs as its own process (``autoforge serve`` on a loopback port, the JSONL
store in a temporary directory); the load generator is this process: ``--clients``
threads, each with a keep-alive connection, post pre-encoded batches of gate events
(unique ids) to ``POST /v1/events`` as fast as the answers come. Every answer is a
durable acknowledgement (the lines are fdatasync'd before the 200). Reported per batch
size: events/s over the whole run, and the p50/p99 of the request latency. Also times
the SDK's HTTP sink on the caller's thread (``--sink-events``), in microseconds per
event. Writes the figures to ``bench/results/server.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from autoforge_learn.server import TokenStore

GATE = {
    "kind": "gate_evaluation",
    "timestamp": "2025-10-29T14:30:00Z",
    "stage": "architecture",
    "agent_role": "architect",
    "agent_model": "claude-3-5-sonnet",
    "prompt_version": "architect.v1.1",
    "gate_id": "api_contract_present",
    "validation_result": "fail",
    "validation_reason": "File does not exist at api/openapi.yaml",
    "retry_attempt": 1,
    "auto_fix_applied": True,
    "auto_fix_strategy": "architect_drafts_stub",
    "auto_fix_success": True,
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoforge_learn", "serve", "--root", str(root),
         "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/v1/experiments", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def bodies(run: str, events: int, batch: int, projects: int = 20) -> list[bytes]:
    out = []
    for start in range(0, events, batch):
        items = [
            {**GATE, "event_id": f"{run}-{n}", "project_id": f"bench-{n % projects}"}
            for n in range(start, min(start + batch, events))
        ]
        out.append(orjson.dumps(items))
    return out


def load(url: str, token: str, batches: list[bytes], clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(reversed(batches))
    accepted = [0]

    def worker() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                t0 = time.perf_counter()
                answer = client.post(url + "/v1/events", content=body, headers=headers)
                elapsed = time.perf_counter() - t0
                answer.raise_for_status()
                with lock:
                    latencies.append(elapsed)
                    accepted[0] += answer.json()["accepted"]

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "events": accepted[0],
        "seconds": round(wall, 3),
        "events_per_s": round(accepted[0] / wall),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "requests": len(latencies),
    }


def _timed(fn: Any, n: int, clock: Any = time.perf_counter) -> float:
    start = clock()
    for _ in range(n):
        fn()
    return (clock() - start) / n * 1e6


def sink_cost(url: str, token: str, n: int, root: Path, rounds: int = 3) -> dict[str, float]:
    """Microseconds per event on the caller's thread, median of ``rounds``: a Collector
    with the HTTP sink; the same call with a sink that does nothing (building and
    validating the event only); a local-file Collector; ``HttpSink.submit`` of a built
    event alone. Wall time, and the caller thread's own CPU time (``thread_time``:
    without the waits for the GIL and the CPU that the sink's thread and the server,
    on the same two cores, cause)."""
    from autoforge_learn.collect import Collector

    fields = {k: v for k, v in GATE.items() if k not in ("kind", "timestamp")}
    sink = Collector(root / "sink-client", url=url, token=token)
    local = Collector(root / "local")
    built = sink.on_gate_evaluation(project_id="sink-0", **fields)
    figures: dict[str, list[float]] = {"sink": [], "build": [], "local": [], "submit": [],
                                       "sink_cpu": [], "build_cpu": []}
    # The baseline: the same Collector call with a sink that does nothing (building and
    # validating the event, which every Collector does whatever it writes to).
    null = Collector(root / "null-client", url=url, token=token)
    assert null.sink is not None
    null.sink.close()
    null.sink.submit = lambda event: None  # type: ignore[method-assign]
    assert sink.sink is not None
    drained = 0.0
    for _ in range(rounds):
        figures["build"].append(_timed(
            lambda: null.on_gate_evaluation(project_id="sink-0", **fields), n))
        started = time.perf_counter()
        figures["sink"].append(_timed(
            lambda: sink.on_gate_evaluation(project_id="sink-0", **fields), n))
        sink.sink.flush()
        drained = max(drained, n / (time.perf_counter() - started))
        figures["submit"].append(_timed(lambda: sink.sink.submit(built), n))  # type: ignore[union-attr]
        sink.sink.flush()
        figures["build_cpu"].append(_timed(
            lambda: null.on_gate_evaluation(project_id="sink-0", **fields), n, time.thread_time))
        figures["sink_cpu"].append(_timed(
            lambda: sink.on_gate_evaluation(project_id="sink-0", **fields), n, time.thread_time))
        sink.sink.flush()
        figures["local"].append(_timed(
            lambda: local.on_gate_evaluation(project_id="sink-0", **fields), n))
    sink.close()
    local.close()
    med = {k: statistics.median(v) for k, v in figures.items()}
    return {
        "events_per_round": n,
        "submit_us_per_event": round(med["submit"], 2),
        "sink_collector_us_per_event": round(med["sink"], 2),
        "build_only_us_per_event": round(med["build"], 2),
        "sink_added_us_per_event": round(med["sink"] - med["build"], 2),
        "caller_cpu_sink_collector_us_per_event": round(med["sink_cpu"], 2),
        "caller_cpu_build_only_us_per_event": round(med["build_cpu"], 2),
        "caller_cpu_sink_added_us_per_event": round(med["sink_cpu"] - med["build_cpu"], 2),
        "local_file_collector_us_per_event": round(med["local"], 2),
        "sink_events_per_s_until_sent": round(drained),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batches", default="100,500")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sink-events", type=int, default=20_000)
    args = parser.parse_args()
    result: dict[str, Any] = {"cpus": os.cpu_count(), "clients": args.clients, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / ".autoforge"
        token_w = TokenStore(root).create("write")[1]
        proc, url = start_server(root)
        try:
            warm = bodies("warm", 2000, 100)
            load(url, token_w, warm, args.clients)
            for size in (int(s) for s in args.batches.split(",")):
                figures = load(url, token_w, bodies(f"b{size}", args.events, size),
                               args.clients)
                result["runs"][f"batch_{size}"] = figures
                print(f"batch {size:>4}: {figures['events_per_s']:>7,} events/s  "
                      f"p50 {figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms")
            if args.sink_events:
                sink = sink_cost(url, token_w, args.sink_events, Path(tmp))
                result["sink"] = sink
                print(f"sink: submit {sink['submit_us_per_event']} us/event; a Collector call "
                      f"{sink['sink_collector_us_per_event']} us with the sink, "
                      f"{sink['build_only_us_per_event']} us with a null sink (added "
                      f"{sink['sink_added_us_per_event']} us), "
                      f"{sink['local_file_collector_us_per_event']} us to a local file; "
                      f"caller-thread CPU added by the sink "
                      f"{sink['caller_cpu_sink_added_us_per_event']} us")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = Path(__file__).parent / "results" / "server.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
