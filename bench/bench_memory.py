"""Benchmark: peak memory of ``autoforge index`` on large payloads and large files.

Each case builds a store in a temporary directory, then runs ``autoforge index`` as a
whole process and reads its peak resident set size (``os.wait4``). The baseline, in the
same run, is the same command on a store of one small project: the process's floor
(interpreter, DuckDB, Arrow). The target: every case under 1 GB, whatever the sizes of
its lines and files.

Cases:

* ``payload_50k``: 2,000 stage events with a 50 KB ``output_raw`` each (97 MB);
* ``payload_2m``: 40 stage events with 2 MB each;
* ``one_50m``: one stage event of 50 MB (read by the line reader, which streams);
* ``appended_100k``: 100,000 gate lines appended to an indexed file (read as a tail);
* ``big_file``: one gates file of ``--big-gb`` GB (2.5 by default; 0 leaves it out),
  larger than Arrow's 2 GiB string limit.

Each case also checks that the index holds every event. Figures are printed and written
to ``bench/results/memory.json``.

    python bench/bench_memory.py --big-gb 0      # the payload cases (~1 minute)
    python bench/bench_memory.py                 # with the 2.5 GB file (~5 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

MONTH = "2025-10"


def _raw(root: Path) -> Path:
    path = root / ".autoforge" / "ai" / "training_data" / "raw" / MONTH
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start(project: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"start-{project}",
            "kind": "project_started",
            "project_id": project,
            "timestamp": "2025-10-01T10:00:00Z",
            "created_at": "2025-10-01T10:00:00Z",
            "recipe": "bench_v1",
        }
    )


def _stage(project: str, i: int, size: int) -> bytes:
    text = ("lorem ipsum dolor sit amet \\n" * (size // 28 + 1))[: size - 8] + f"{i:08d}"
    return orjson.dumps(
        {
            "event_id": f"stage-{project}-{i}",
            "kind": "stage_execution",
            "project_id": project,
            "timestamp": "2025-10-01T11:00:00Z",
            "stage_id": "engineering",
            "agent_role": "engineer",
            "output_raw": text,
        }
    )


def _gate(project: str, i: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"gate-{project}-{i}",
            "kind": "gate_evaluation",
            "project_id": project,
            "timestamp": "2025-10-01T12:00:00Z",
            "gate_id": f"gate_{i % 40}",
            "validation_result": "fail" if i % 3 else "pass",
            "validation_reason": "missing section on error handling",
            "retry_count": i % 3,
        }
    )


def payloads(count: int, size: int, projects: int) -> Callable[[Path], int]:
    def build(root: Path) -> int:
        raw = _raw(root)
        for p in range(projects):
            project = f"P{p:04d}"
            with open(raw / f"project_{project}_execution.jsonl", "wb") as out:
                out.write(_start(project) + b"\n")
                for i in range(p, count, projects):
                    out.write(_stage(project, i, size) + b"\n")
        return count + projects

    return build


def small(root: Path) -> int:
    return payloads(10, 200, 1)(root)


def appended(lines: int) -> tuple[Callable[[Path], int], Callable[[Path], None]]:
    """One gate line indexed first; ``lines`` appended before the measured run."""

    def build(root: Path) -> int:
        raw = _raw(root)
        (raw / "project_P0001_execution.jsonl").write_bytes(_start("P0001") + b"\n")
        (raw / "project_P0001_gates.jsonl").write_bytes(_gate("P0001", -1) + b"\n")
        return 2 + lines

    def before(root: Path) -> None:
        _run(root)  # the first index: the file is known, the rest is an appended tail
        with open(_raw(root) / "project_P0001_gates.jsonl", "ab") as out:
            for start in range(0, lines, 10_000):
                out.write(b"".join(_gate("P0001", i) + b"\n" for i in range(start, start + 10_000)))

    return build, before


def big_file(gigabytes: float) -> Callable[[Path], int]:
    def build(root: Path) -> int:
        raw = _raw(root)
        (raw / "project_P0001_execution.jsonl").write_bytes(_start("P0001") + b"\n")
        target = int(gigabytes * 1e9)
        written = count = 0
        with open(raw / "project_P0001_gates.jsonl", "wb") as out:
            while written < target:
                block = b"".join(_gate("P0001", count + i) + b"\n" for i in range(20_000))
                out.write(block)
                written += len(block)
                count += 20_000
        return count + 1

    return build


def _run(root: Path) -> tuple[float, int, str]:
    """``autoforge index`` in ``root``: (seconds, peak RSS bytes, output)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoforge_learn", "index"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"autoforge index failed in {root}:\n{output}")
    return seconds, usage.ru_maxrss * 1024, output


def _events(root: Path) -> int:
    import duckdb

    with duckdb.connect(str(root / ".autoforge" / "index.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-gb", type=float, default=2.5, help="size of the big file")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    append_build, append_before = appended(100_000)
    cases: list[tuple[str, Callable[[Path], int], Callable[[Path], None] | None]] = [
        ("baseline", small, None),
        ("payload_50k", payloads(2_000, 50_000, 20), None),
        ("payload_2m", payloads(40, 2_000_000, 10), None),
        ("one_50m", payloads(1, 50_000_000, 1), None),
        ("appended_100k", append_build, append_before),
    ]
    if args.big_gb > 0:
        cases.append(("big_file", big_file(args.big_gb), None))
    results: dict[str, dict[str, float]] = {}
    for name, build, before in cases:
        root = Path(tempfile.mkdtemp(prefix=f"af-mem-{name}-"))
        try:
            expected = build(root)
            if before is not None:
                before(root)
            size = sum(p.stat().st_size for p in _raw(root).iterdir())
            seconds, rss, _output = _run(root)
            got = _events(root)
            if got != expected:
                raise SystemExit(f"{name}: the index holds {got} events, expected {expected}")
            results[name] = {"raw_mb": size / 1e6, "seconds": seconds, "peak_rss_mb": rss / 1e6}
            base = results["baseline"]["peak_rss_mb"]
            print(
                f"{name:14} raw {size / 1e6:9.1f} MB  index {seconds:7.2f} s  "
                f"peak RSS {rss / 1e6:7.1f} MB  ({rss / 1e6 / base:.2f}x baseline)",
                flush=True,
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "memory.json").write_text(json.dumps(results, indent=2) + "\n")
    worst = max(r["peak_rss_mb"] for r in results.values())
    print(f"worst peak RSS: {worst:.0f} MB (target: under 1,000 MB)")


if __name__ == "__main__":
    main()
