"""Time and peak memory of ``autoforge train`` on a large simulated store.

Run:  python bench/bench_train.py [--projects 36000] [--seed 1] [--keep DIR]
                                  [--repeat 3] [--baseline-src DIR]

Simulates ``--projects`` projects (about 28 events each: 36,000 projects make about
1M events) through the SDK, then runs ``autoforge train`` as a whole process, cold (the
index is built first and the detectors run) then warm (the index exists and the
findings of the cold run are kept), ``--repeat`` times. Reports the
median seconds and the peak RSS of each, with a CPU reference timed between the runs
(this machine's speed varies), and writes them as JSON to
``bench/results/train-<events>.json``. ``--baseline-src`` times another source tree
(``PYTHONPATH`` pointing at its ``src``) on the same store, each of its cold and warm
runs right after this tree's, and reports the ratios: only figures taken together
compare.
Targets (issue "Learning", 7): <= 30 s and <= 2 GB peak RSS on 1M events, 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


def _cpu_reference() -> float:
    """Seconds of a fixed pure-Python loop (10 million additions) in a fresh process."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "s = 0\nfor i in range(10_000_000):\n    s += i"], check=True
    )
    return time.perf_counter() - start


def _env(src: Path, pycache: Path, root: Path) -> dict[str, str]:
    """The environment of a run of the tree ``src``: its bytecode kept (in a private
    cache, as an installed package has it), the store given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "AUTOFORGE_ENGINE")}
    env.update(PYTHONPATH=str(src), PYTHONPYCACHEPREFIX=str(pycache), AUTOFORGE_HOME=str(root))
    return env


def _forget(root: Path) -> None:
    """Remove what a run derives, so that the next one is cold: the index and the
    findings kept by the last run."""
    for path in root.glob("index.duckdb*"):
        path.unlink()
    shutil.rmtree(root / "cache", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=36_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="Store directory to (re)use.")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Cold and warm runs (the median is reported)."
    )
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="Another tree's src/ to time alongside, interleaved (e.g. an "
                        "older commit's: git archive COMMIT src | tar -x -C DIR).")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="af-bench-train-"))
    root = base / ".autoforge"
    exe = [sys.executable, "-m", "autoforge_learn"]
    events = _simulated(exe, root, args.projects, args.seed)
    pycache = Path(tempfile.mkdtemp(prefix="af-bench-pyc-"))
    versions = {"current": Path(__file__).resolve().parent.parent / "src"}
    if args.baseline_src is not None:
        versions["baseline"] = args.baseline_src.resolve()
    envs = {name: _env(src, pycache, root) for name, src in versions.items()}
    runs: dict[str, dict[str, list[tuple[float, float]]]] = {
        v: {"cold": [], "warm": []} for v in versions
    }
    refs = []
    for _ in range(args.repeat):
        for version, version_env in envs.items():  # interleaved: taken together
            refs.append(_cpu_reference())
            _forget(root)
            runs[version]["cold"].append(_run([*exe, "train", "--format", "json"], version_env))
            runs[version]["warm"].append(_run([*exe, "train", "--format", "json"], version_env))
    refs.append(_cpu_reference())
    result = _result(runs, refs, projects=args.projects, events=events)
    out = Path(__file__).parent / "results" / f"train-{events}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


def _simulated(exe: list[str], root: Path, projects: int, seed: int) -> int:
    """Simulate the store unless it exists; the number of events in it."""
    if not (root / "ai" / "training_data" / "raw").exists():
        start = time.perf_counter()
        subprocess.run(
            [*exe, "simulate", "--projects", str(projects), "--seed", str(seed),
             "--format", "json"],
            check=True,
            env={**os.environ, "AUTOFORGE_HOME": str(root)},
            stdout=subprocess.DEVNULL,
        )
        print(f"simulated {projects} projects in {time.perf_counter() - start:.1f} s")
    return sum(
        len(p.read_bytes().splitlines()) for p in (root / "ai/training_data/raw").glob("*/*.jsonl")
    )


def _result(
    runs: dict[str, dict[str, list[tuple[float, float]]]], refs: list[float], *,
    projects: int, events: int,
) -> dict[str, object]:
    """The figures: this tree's medians and peaks, the baseline's, their ratios."""
    colds, warms = runs["current"]["cold"], runs["current"]["warm"]
    cold_s = statistics.median(s for s, _ in colds)
    warm_s = statistics.median(s for s, _ in warms)
    cold_mb = max(mb for _, mb in colds)
    warm_mb = max(mb for _, mb in warms)
    result: dict[str, object] = {
        "projects": projects,
        "events": events,
        "cpus": os.cpu_count(),
        "runs": len(colds),
        "cold_seconds": round(cold_s, 2),
        "cold_seconds_all": [round(s, 2) for s, _ in colds],
        "cold_peak_rss_mb": round(cold_mb),
        "warm_seconds": round(warm_s, 2),
        "warm_seconds_all": [round(s, 2) for s, _ in warms],
        "warm_peak_rss_mb": round(warm_mb),
        # a fixed pure-Python loop timed between runs: this machine's speed varies by up
        # to half from one minute to the next, so read the seconds against it
        "cpu_reference_seconds": [round(r, 2) for r in refs],
        "cold_in_cpu_references": round(cold_s / statistics.median(refs), 1),
        "targets_met": {
            "seconds_30": warm_s <= 30 and cold_s <= 30,
            "rss_2gb": max(cold_mb, warm_mb) <= 2048,
        },
    }
    if "baseline" in runs:
        base = runs["baseline"]
        result["baseline"] = {
            f"{phase}_seconds_all": [round(s, 2) for s, _ in base[phase]] for phase in base
        } | {f"{phase}_seconds": round(statistics.median(s for s, _ in base[phase]), 2)
             for phase in base} | {f"{phase}_peak_rss_mb": round(max(mb for _, mb in base[phase]))
                                   for phase in base}
        result["ratio_current_to_baseline"] = {
            phase: round(statistics.median(s for s, _ in runs["current"][phase])
                         / statistics.median(s for s, _ in base[phase]), 3)
            for phase in base
        }
    return result


if __name__ == "__main__":
    main()
