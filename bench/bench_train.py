"""Time and peak memory of ``autoforge train`` on a large simulated store.

Run:  python bench/bench_train.py [--projects 36000] [--seed 1] [--keep DIR]

Simulates ``--projects`` projects (about 28 events each: 36,000 projects make about
1M events) through the SDK, then runs ``autoforge train`` as a whole process twice:
cold (the index is built first) and warm (the index exists). Reports seconds and peak
RSS of each, and writes them as JSON to ``bench/results/train-<events>.json``.
Targets (issue "Learning", 7): <= 30 s and <= 2 GB peak RSS on 1M events, 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB, from ``/usr/bin/time``) of one whole process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        return seconds, int(Path(out.name).read_text().split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=36_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="Store directory to (re)use.")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="af-bench-train-"))
    root = base / ".autoforge"
    exe = [sys.executable, "-m", "autoforge_learn"]
    env = {**os.environ, "AUTOFORGE_HOME": str(root)}
    if not (root / "ai" / "training_data" / "raw").exists():
        start = time.perf_counter()
        subprocess.run(
            [
                *exe,
                "simulate",
                "--projects",
                str(args.projects),
                "--seed",
                str(args.seed),
                "--format",
                "json",
            ],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        print(f"simulated {args.projects} projects in {time.perf_counter() - start:.1f} s")
    events = sum(
        len(p.read_bytes().splitlines()) for p in (root / "ai/training_data/raw").glob("*/*.jsonl")
    )
    index = root / "index.duckdb"
    if index.exists():
        index.unlink()
    cold_s, cold_mb = _run([*exe, "train", "--format", "json"], env)
    warm_s, warm_mb = _run([*exe, "train", "--format", "json"], env)
    result = {
        "projects": args.projects,
        "events": events,
        "cpus": os.cpu_count(),
        "cold_seconds": round(cold_s, 2),
        "cold_peak_rss_mb": round(cold_mb),
        "warm_seconds": round(warm_s, 2),
        "warm_peak_rss_mb": round(warm_mb),
        "targets_met": {
            "seconds_30": warm_s <= 30 and cold_s <= 30,
            "rss_2gb": max(cold_mb, warm_mb) <= 2048,
        },
    }
    out = Path(__file__).parent / "results" / f"train-{events}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
