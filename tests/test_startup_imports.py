"""Warm read-only commands start without the heavy libraries: importing scipy.stats,
pandas or matplotlib alone takes longer than such a command should (the seconds are
measured by ``bench/bench_startup.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("scipy", "pandas", "matplotlib", "plotly", "statsmodels", "pyarrow", "ibis")

#: Runs the CLI in-process, then prints the heavy top-level modules it imported (the
#: Typer app itself: the console script's ``main`` ends the process without returning).
PROBE = f"""
import json, sys
sys.argv = ["autoforge", *sys.argv[1:]]
try:
    from autoforge_learn.cli import app
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({{"code": code, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}),
      file=sys.stderr)
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup") / ".autoforge"
    env = {**os.environ, "PYTHONPATH": str(SRC), "AUTOFORGE_HOME": str(root)}
    subprocess.run(
        [sys.executable, "-m", "autoforge_learn", "simulate", "--projects", "3", "--seed", "1"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    subprocess.run([sys.executable, "-m", "autoforge_learn", "index"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return root


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["metrics", "list"],
        ["metrics", "show", "gate_pass_rate", "--by", "role", "--format", "json"],
    ],
)
def test_read_only_command_imports_no_heavy_library(store: Path, argv: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "AUTOFORGE_HOME": str(store)}
    # twice: the first run of a metric question compiles its SQL with ibis and keeps it
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env,
                              capture_output=True, text=True, check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), proc.stderr
    assert report["heavy"] == [], f"{' '.join(argv)} imported {report['heavy']}"
