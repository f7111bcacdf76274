"""Benchmark: the spec's jq commands vs ``autoforge metrics show`` on the same data.

Generates N gate events in the spec's flat example format (section 2.3: no event_id,
kind or schema_version) across F project files, then times, each as a whole process:

* Q1, the spec's "count gate failures by agent role":
  ``cat .autoforge/ai/training_data/raw/**/*.jsonl | jq 'select(.gate_result=="fail")
  | .agent_role' | sort | uniq -c`` vs ``autoforge metrics show --metric gate_failures
  --by role --format json``;
* Q2, the spec's "success rate per prompt version", fixed: ``jq -s 'group_by(.prompt_version)
  | map({version: .[0].prompt_version, success_rate: ((map(select(.gate_result=="pass"))
  | length) / length)})'`` vs ``autoforge metrics show --metric gate_pass_rate --by
  prompt_version --format json``.

autoforge runs cold (no index yet: the first build is included) and warm. The numbers
must be identical. Peak RSS comes from ``/usr/bin/time``. Q1 is also answered by a bare
DuckDB process that loads the files into a table and queries it, checking nothing (the
floor any DuckDB-backed index starts from). Finally 1,000 events are appended and Q1 is
re-run. Figures are printed and written to ``bench/results/``.

    python bench/bench_analytics.py --events 20000 --files 40   # quick check
    python bench/bench_analytics.py                             # 1M events, 2,000 files
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = [
    ("architecture", "architect"),
    ("engineering", "engineer"),
    ("qa", "qa_engineer"),
    ("security", "security_engineer"),
    ("product", "product_manager"),
]
GATES = [
    "api_contract_present",
    "tests_pass",
    "coverage_ok",
    "no_critical_vulns",
    "spec_complete",
    "lint_clean",
]
MODELS = ["claude-3-5-sonnet", "gpt-4o", "claude-3-opus"]
REASONS = [
    "File does not exist at api/openapi.yaml",
    "3 tests failing in tests/test_api.py",
    "Coverage 61% below 80%",
    "ok",
]

SPEC_CAT = "cat .autoforge/ai/training_data/raw/**/*.jsonl"
#: Beyond this many files the spec's ``cat`` glob fails ("Argument list too long"):
#: the files are then listed by ``find``.
MAX_GLOB_FILES = 20_000
FIND_CAT = "find .autoforge/ai/training_data/raw -name '*.jsonl' -exec cat {} +"

Q1_JQ = (
    "cat .autoforge/ai/training_data/raw/**/*.jsonl | "
    "jq 'select(.gate_result==\"fail\") | .agent_role' | sort | uniq -c"
)
Q2_JQ = (
    "cat .autoforge/ai/training_data/raw/**/*.jsonl | jq -s 'group_by(.prompt_version) | "
    "map({version: .[0].prompt_version, success_rate: "
    '((map(select(.gate_result=="pass")) | length) / length)})\''
)


def _line(rnd: random.Random, project: str, month: str, i: int) -> dict:
    stage, role = ROLES[rnd.randrange(len(ROLES))]
    r = rnd.random()
    result = "pass" if r < 0.7 else ("fail" if r < 0.95 else "ambiguous")
    fixed = result == "fail" and rnd.random() < 0.5
    return {
        "project_id": project,
        "stage": stage,
        "agent_role": role,
        "agent_model": MODELS[rnd.randrange(len(MODELS))],
        "prompt_version": f"{role}.v{rnd.randrange(1, 4)}.{rnd.randrange(0, 3)}",
        "gate_id": GATES[rnd.randrange(len(GATES))],
        "gate_result": result,
        "gate_result_reason": REASONS[rnd.randrange(len(REASONS))],
        "retry_attempt": rnd.randrange(1, 4),
        "auto_fix_applied": fixed,
        "auto_fix_strategy": "architect_drafts_stub" if fixed else None,
        "auto_fix_success": (rnd.random() < 0.6) if fixed else None,
        "downstream_feedback": None,
        "timestamp": f"{month}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{rnd.randrange(60):02d}Z",
    }


def generate(raw: Path, events: int, files: int, seed: int = 7) -> None:
    """Write ``events`` flat gate lines over ``files`` project files."""
    rnd = random.Random(seed)
    per, extra = divmod(events, files)
    for f in range(files):
        project = f"P{f:05d}"
        month = f"2025-{1 + f % 12:02d}"
        folder = raw / month
        folder.mkdir(parents=True, exist_ok=True)
        count = per + (1 if f < extra else 0)
        lines = [
            json.dumps(_line(rnd, project, month, i), separators=(",", ":")) for i in range(count)
        ]
        (folder / f"project_{project}_gates.jsonl").write_text("\n".join(lines) + "\n")


def timed(cmd: list[str] | str, cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command as a whole process; return (seconds, peak RSS in MB, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        argv = cmd if isinstance(cmd, list) else ["bash", "-c", cmd]
        full = ["/usr/bin/time", "-f", "%M", "-o", out.name, *argv]
        start = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"command failed ({proc.returncode}): {cmd}\n{proc.stderr}")
        rss_kb = int(out.read().strip().splitlines()[-1])
    return seconds, rss_kb // 1024, proc.stdout


#: The least any DuckDB-backed index can do for Q1, as a whole process: one table from
#: ``read_json`` over the files with the flat fields, nothing checked (no exact JSON types,
#: no ids, no schema rules, no file state for incremental refreshes), then the query.
FLOOR_SCRIPT = """
import json, sys, duckdb
raw, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute("SET enable_progress_bar = false")
cols = {k: "VARCHAR" for k in ("project_id", "stage", "agent_role", "agent_model",
        "prompt_version", "gate_id", "gate_result", "gate_result_reason",
        "auto_fix_strategy", "downstream_feedback", "timestamp")}
cols.update(retry_attempt="BIGINT", auto_fix_applied="BOOLEAN", auto_fix_success="BOOLEAN")
con.execute(
    f"CREATE TABLE t AS SELECT * FROM read_json('{raw}/*/*.jsonl', "
    f"format='newline_delimited', columns={cols})"
)
rows = con.execute(
    "SELECT agent_role, count(*) FROM t WHERE gate_result = 'fail' GROUP BY 1"
).fetchall()
print(json.dumps(dict(rows)))
con.close()
"""


def parse_q1_jq(text: str) -> dict[str, int]:
    out = {}
    for line in text.strip().splitlines():
        count, role = line.split(None, 1)
        out[json.loads(role)] = int(count)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--append", type=int, default=1000)
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="Default: a temp dir.")
    parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
    args = parser.parse_args()
    if shutil.which("jq") is None:
        raise SystemExit("jq is not installed: apt-get update && apt-get install -y jq")
    autoforge = shutil.which("autoforge", path=str(Path(sys.executable).parent)) or "autoforge"
    work = args.workdir or Path(tempfile.mkdtemp(prefix="af-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / ".autoforge"
    raw = root / "ai" / "training_data" / "raw"
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOFORGE_ENGINE", "AUTOFORGE_HOME")}
    figures: dict = {"events": args.events, "files": args.files, "cpus": os.cpu_count()}
    try:
        t0 = time.perf_counter()
        if raw.exists():
            shutil.rmtree(root)
        generate(raw, args.events, args.files)
        size = sum(p.stat().st_size for p in raw.rglob("*.jsonl"))
        figures["data_mb"] = round(size / 2**20, 1)
        print(
            f"generated {args.events:,} events, {figures['data_mb']} MB "
            f"in {time.perf_counter() - t0:.1f}s ({work})"
        )
        ours = {
            "q1": [
                autoforge,
                "metrics",
                "show",
                "--metric",
                "gate_failures",
                "--by",
                "role",
                "--format",
                "json",
                "--root",
                str(root),
            ],
            "q2": [
                autoforge,
                "metrics",
                "show",
                "--metric",
                "gate_pass_rate",
                "--by",
                "prompt_version",
                "--format",
                "json",
                "--root",
                str(root),
            ],
        }
        jq_cmds = {"q1": Q1_JQ, "q2": Q2_JQ}
        if args.files > MAX_GLOB_FILES:  # the spec's glob exceeds the argument list limit
            jq_cmds = {q: c.replace(SPEC_CAT, FIND_CAT) for q, c in jq_cmds.items()}
        index = root / "index.duckdb"
        for q in ("q1", "q2"):
            jq_s, jq_rss, jq_out = timed(jq_cmds[q], work, env)
            index.unlink(missing_ok=True)
            cold_s, cold_rss, cold_out = timed(ours[q], work, env)
            warm = [timed(ours[q], work, env) for _ in range(args.warm_runs)]
            warm_s = statistics.median(w[0] for w in warm)
            warm_rss = max(w[1] for w in warm)
            rows = json.loads(warm[-1][2])
            assert json.loads(cold_out) == rows, "cold and warm answers differ"
            if q == "q1":
                jq_out_q1 = jq_out
                expected = parse_q1_jq(jq_out)
                got = {r["role"]: r["value"] for r in rows}
            else:
                expected = {r["version"]: r["success_rate"] for r in json.loads(jq_out)}
                got = {r["prompt_version"]: r["value"] for r in rows}
            assert got == expected, f"{q}: numbers differ\njq: {expected}\nautoforge: {got}"
            figures[q] = {
                "jq_s": round(jq_s, 3),
                "jq_peak_rss_mb": jq_rss,
                "cold_s": round(cold_s, 3),
                "cold_peak_rss_mb": cold_rss,
                "warm_s": round(warm_s, 3),
                "warm_peak_rss_mb": warm_rss,
                "cold_speedup": round(jq_s / cold_s, 1),
                "warm_speedup": round(jq_s / warm_s, 1),
                "identical": True,
            }
            print(
                f"{q}: jq {jq_s:.2f}s ({jq_rss} MB) | autoforge cold {cold_s:.2f}s "
                f"({cold_rss} MB, {jq_s / cold_s:.1f}x) warm {warm_s:.2f}s "
                f"({warm_rss} MB, {jq_s / warm_s:.1f}x) | numbers identical"
            )
        # the floor: what a bare DuckDB load and query of the same files takes
        floor_db = work / "floor.duckdb"
        floor_db.unlink(missing_ok=True)
        floor_s, floor_rss, floor_out = timed(
            [sys.executable, "-c", FLOOR_SCRIPT, str(raw), str(floor_db)], work, env
        )
        floor_db.unlink(missing_ok=True)
        floor_rows = json.loads(floor_out.strip().splitlines()[-1])
        assert floor_rows == parse_q1_jq(jq_out_q1), "the floor's numbers differ"
        figures["q1_duckdb_floor"] = {
            "seconds": round(floor_s, 3),
            "peak_rss_mb": floor_rss,
            "speedup_over_jq": round(figures["q1"]["jq_s"] / floor_s, 1),
        }
        print(
            f"q1 floor (bare DuckDB read_json -> table -> query, nothing checked): "
            f"{floor_s:.2f}s ({floor_rss} MB, {figures['q1']['jq_s'] / floor_s:.1f}x over jq)"
        )
        # append events to a few files, then re-run Q1
        rnd = random.Random(99)
        files = sorted(raw.rglob("*_gates.jsonl"))[:10]
        added_fail: dict[str, int] = {}
        for n in range(args.append):
            path = files[n % len(files)]
            project = path.name.split("_")[1]
            obj = _line(rnd, project, path.parent.name, n)
            if obj["gate_result"] == "fail":
                added_fail[obj["agent_role"]] = added_fail.get(obj["agent_role"], 0) + 1
            with open(path, "a") as handle:
                handle.write(json.dumps(obj, separators=(",", ":")) + "\n")
        before = {r["role"]: r["value"] for r in json.loads(timed(ours["q1"], work, env)[2])}
        # (the run above indexed the appended events; re-append to time a fresh append)
        for n in range(args.append):
            path = files[n % len(files)]
            project = path.name.split("_")[1]
            obj = _line(rnd, project, path.parent.name, n + args.append)
            if obj["gate_result"] == "fail":
                added_fail[obj["agent_role"]] = added_fail.get(obj["agent_role"], 0) + 1
            with open(path, "a") as handle:
                handle.write(json.dumps(obj, separators=(",", ":")) + "\n")
        append_s, append_rss, out = timed(ours["q1"], work, env)
        after = {r["role"]: r["value"] for r in json.loads(out)}
        jq_after = parse_q1_jq(timed(jq_cmds["q1"], work, env)[2])
        assert after == jq_after, "after the append the numbers differ from jq"
        assert sum(after.values()) >= sum(before.values())
        figures["append"] = {
            "events": args.append,
            "rerun_s": round(append_s, 3),
            "peak_rss_mb": append_rss,
        }
        print(f"append {args.append} events: re-run {append_s:.2f}s ({append_rss} MB)")
        peak = max(
            v.get(k, 0)
            for v in figures.values()
            if isinstance(v, dict)
            for k in ("cold_peak_rss_mb", "warm_peak_rss_mb", "peak_rss_mb")
        )
        figures["autoforge_peak_rss_mb"] = peak
        targets = {
            "warm_10x": all(figures[q]["warm_speedup"] >= 10 for q in ("q1", "q2")),
            "cold_3x": all(figures[q]["cold_speedup"] >= 3 for q in ("q1", "q2")),
            "rss_1gb": peak <= 1024,
            "append_1s": append_s <= 1.0,
        }
        figures["targets_met"] = targets
        print("targets:", targets)
        out_dir = Path(__file__).resolve().parent / "results"
        out_dir.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        out_file = out_dir / f"analytics-{args.events}-{stamp}.json"
        out_file.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {out_file}")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
