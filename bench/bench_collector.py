"""Cost of one ``Collector.on_gate_evaluation`` call against bare orjson + write.

Run:  python bench/bench_collector.py [--events 20000] [--rounds 5]

Three ways of writing the same gate event (the spec's example line) are timed in the
same run, interleaved, each round on a fresh file; the median round is reported:

- ``collector``: ``Collector.on_gate_evaluation`` (validation, id, lock, torn-line
  guard, append);
- ``bare_open_fd``: ``os.write(fd, orjson.dumps(d) + b"\\n")`` on a file kept open with
  O_APPEND: the fastest possible append, no validation and no locking;
- ``bare_open_close``: ``open(path, "ab")`` + ``write(orjson.dumps(d) + b"\\n")`` per event,
  as a hand-rolled logger that does not keep files open would do.

Prints the figures and writes them as JSON to ``bench/results/collector.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from autoforge_learn import Collector

EVENT = {
    "project_id": "ABC123",
    "stage": "architecture",
    "agent_role": "architect",
    "agent_model": "claude-3-5-sonnet",
    "gate_id": "api_contract_present",
    "validation_result": "fail",
    "validation_reason": "File does not exist at api/openapi.yaml",
    "retry_attempt": 1,
    "auto_fix_applied": True,
    "auto_fix_strategy": "architect_drafts_stub",
    "auto_fix_success": True,
}


def run_collector(directory: Path, n: int) -> float:
    collector = Collector(directory / ".autoforge")
    collector.on_gate_evaluation(**EVENT)  # open the file outside the timed loop
    start = time.perf_counter()
    for _ in range(n):
        collector.on_gate_evaluation(**EVENT)
    elapsed = time.perf_counter() - start
    collector.close()
    return elapsed


def _bare_event() -> dict[str, object]:
    return {**EVENT, "timestamp": "2025-10-29T14:30:00Z", "event_id": "0" * 32}


def run_bare_open_fd(directory: Path, n: int) -> float:
    event = _bare_event()
    fd = os.open(directory / "bare.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    start = time.perf_counter()
    for _ in range(n):
        os.write(fd, orjson.dumps(event) + b"\n")
    elapsed = time.perf_counter() - start
    os.close(fd)
    return elapsed


def run_bare_open_close(directory: Path, n: int) -> float:
    event = _bare_event()
    path = directory / "naive.jsonl"
    start = time.perf_counter()
    for _ in range(n):
        with open(path, "ab") as handle:
            handle.write(orjson.dumps(event) + b"\n")
    return time.perf_counter() - start


RUNNERS = {
    "collector": run_collector,
    "bare_open_fd": run_bare_open_fd,
    "bare_open_close": run_bare_open_close,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in RUNNERS}
    for _ in range(args.rounds):
        for name, runner in RUNNERS.items():
            with tempfile.TemporaryDirectory() as tmp:
                seconds[name].append(runner(Path(tmp), args.events))
    per_event = {
        name: statistics.median(values) / args.events * 1e6 for name, values in seconds.items()
    }
    result = {
        "events_per_round": args.events,
        "rounds": args.rounds,
        "microseconds_per_event": {k: round(v, 3) for k, v in per_event.items()},
        "ratio_vs_bare_open_fd": round(per_event["collector"] / per_event["bare_open_fd"], 2),
        "ratio_vs_bare_open_close": round(per_event["collector"] / per_event["bare_open_close"], 2),
    }
    out = Path(__file__).parent / "results" / "collector.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    for name, value in per_event.items():
        print(f"{name:>16}: {value:8.2f} us/event")
    print(f"collector / bare_open_fd:    {result['ratio_vs_bare_open_fd']}x")
    print(f"collector / bare_open_close: {result['ratio_vs_bare_open_close']}x")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
