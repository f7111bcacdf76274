"""The console script ends the process itself once a command is done (no interpreter
teardown): its exit status, its output through a pipe and its exit handlers must be
exactly what a normal exit gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _env(root: Path) -> dict[str, str]:
    # without PYTHONUNBUFFERED (set here, rarely on a user's machine): output to a pipe
    # waits in a buffer, which the process must flush before it ends
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return {**env, "PYTHONPATH": str(SRC), "AUTOFORGE_HOME": str(root)}


def _run(argv: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoforge_learn", *argv], env=_env(root),
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exit") / ".autoforge"
    assert _run(["simulate", "--projects", "3", "--seed", "2"], root).returncode == 0
    return root


def test_every_line_of_a_large_output_reaches_the_pipe(root: Path) -> None:
    result = _run(["query", "SELECT event_id FROM events ORDER BY event_id", "--format", "csv"],
                  root)
    assert result.returncode == 0, result.stderr
    count = _run(["query", "SELECT count(*) AS n FROM events", "--format", "csv"], root)
    expected = int(count.stdout.splitlines()[1])
    assert expected > 50
    lines = result.stdout.splitlines()
    assert lines[0] == "event_id" and len(lines) == expected + 1


@pytest.mark.parametrize(
    ("argv", "status", "said"),
    [
        (["metrics", "list", "--format", "json"], 0, ""),
        (["metrics", "show", "gate_pass_rat"], 2, "gate_pass_rate"),
        (["prompts", "show", "qa.v9.9"], 1, "qa.v9.9"),
    ],
)
def test_exit_status_and_messages(root: Path, argv: list[str], status: int, said: str) -> None:
    result = _run(argv, root)
    assert result.returncode == status, (result.stdout, result.stderr)
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_handlers_run(root: Path, tmp_path: Path) -> None:
    """An ``atexit`` handler (logging, temporary files, child processes rely on them)
    runs before the process ends, with the command's own status."""
    marker = tmp_path / "ran"
    script = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "sys.argv = ['autoforge', 'metrics', 'show', 'gate_pass_rat']\n"
        "from autoforge_learn.cli import main\n"
        "main()\n"
    )
    env = _env(root)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert marker.read_text() == "yes"
