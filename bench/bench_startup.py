"""Wall time of ``autoforge train`` and of read-only commands on the 50-project demo store.

Run:  python bench/bench_startup.py [--repeat 5] [--baseline-src DIR] [--keep DIR]

Builds the demo store (``autoforge demo --skip-train``, 50 projects) in a temporary
directory, then times each command as a whole process, ``--repeat`` times, warm: each
command runs once first, so the index exists and Python's bytecode is cached (in a
private ``PYTHONPYCACHEPREFIX``; an installed package has its bytecode too, a checkout run
with ``PYTHONDONTWRITEBYTECODE`` does not, which adds a few tenths to every command).

``--baseline-src`` times a second source tree (``PYTHONPATH`` pointing at its ``src``)
on the same store in the same run, interleaved with this one, and reports the ratio: the
machine's speed varies from minute to minute, so only figures taken together compare.
Reports the median wall and CPU (user + system) seconds per command, and writes them as
JSON to ``bench/results/startup.json``.

``train`` runs again on unchanged data, so it reads the findings kept by the run
before; ``train, detectors run`` drops them first (``.autoforge/cache``), as the first
run after new events does.

Targets (issue "Newcomer speed"): train <= 3 s, each read-only command <= 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

#: name -> (arguments, target seconds)
COMMANDS: dict[str, tuple[list[str], float]] = {
    "train": (["train", "--format", "json"], 3.0),
    # the same with the findings of the last run dropped first, as after new events
    "train, detectors run": (["train", "--format", "json"], 3.0),
    "metrics show": (
        ["metrics", "show", "gate_pass_rate", "--by", "role", "--format", "json"], 0.5
    ),
    "metrics list": (["metrics", "list"], 0.5),
    "patterns": (["patterns", "--format", "json"], 0.5),
    "patterns (table)": (["patterns"], 0.5),
    "--help": (["--help"], 0.5),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def _env(src: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "AUTOFORGE_HOME", "AUTOFORGE_ENGINE")}
    env["PYTHONPATH"] = str(src)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per command.")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="Another tree's src/ to time alongside (e.g. an older commit's).")
    parser.add_argument("--keep", type=Path, default=None, help="Store directory to (re)use.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="af-bench-startup-"))
    work.mkdir(parents=True, exist_ok=True)
    pycache = Path(tempfile.mkdtemp(prefix="af-bench-pyc-"))
    versions = {"current": Path(__file__).resolve().parent.parent / "src"}
    if args.baseline_src is not None:
        versions["baseline"] = args.baseline_src.resolve()
    envs = {name: _env(src, pycache) for name, src in versions.items()}
    exe = [sys.executable, "-m", "autoforge_learn"]
    if not (work / ".autoforge").exists():
        subprocess.run([*exe, "demo", "--skip-train"], check=True, env=envs["current"],
                       cwd=work, stdout=subprocess.DEVNULL)
    for env in envs.values():  # warm: bytecode written, index built, reports there
        for argv, _ in COMMANDS.values():
            subprocess.run([*exe, *argv], check=True, env=env, cwd=work,
                           stdout=subprocess.DEVNULL)
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        v: {c: [] for c in COMMANDS} for v in versions
    }
    for _ in range(args.repeat):
        for command, (argv, _) in COMMANDS.items():
            for version, env in envs.items():
                if command == "train, detectors run" and version == "current":
                    # (an older tree keeps no findings; the next commands find these)
                    shutil.rmtree(work / ".autoforge" / "cache", ignore_errors=True)
                times[version][command].append(_run([*exe, *argv], env, work))
    result: dict[str, object] = {"cpus": os.cpu_count(), "runs": args.repeat, "store": "demo"}
    for version, by_command in times.items():
        result[version] = {
            command: {
                "wall_seconds": round(statistics.median(w for w, _ in runs), 3),
                "cpu_seconds": round(statistics.median(c for _, c in runs), 3),
                "target_seconds": COMMANDS[command][1],
                "target_met": statistics.median(w for w, _ in runs) <= COMMANDS[command][1],
            }
            for command, runs in by_command.items()
        }
    if "baseline" in times:
        result["wall_ratio_current_to_baseline"] = {
            command: round(
                statistics.median(w for w, _ in times["current"][command])
                / statistics.median(w for w, _ in times["baseline"][command]), 2)
            for command in COMMANDS
        }
    out = Path(__file__).parent / "results" / "startup.json"
    out.parent.mkdir(exist_ok=True)
    text = orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
