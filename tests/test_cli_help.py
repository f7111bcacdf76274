"""Every command documents itself with at least one example."""

from __future__ import annotations

import subprocess
import sys

import typer
from typer.main import get_command

from autoforge_learn.cli import app


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        sub = getattr(command, "commands", None)
        if sub:
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_command_has_help_with_an_example():
    root = get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = list(_commands(root))
    assert len(commands) >= 4
    missing = [
        " ".join(path) for path, command in commands if "Example:" not in (command.help or "")
    ]
    assert missing == [], f"commands without an 'Example:' in their help: {missing}"
    short = [" ".join(path) for path, command in commands if len((command.help or "").strip()) < 20]
    assert short == []


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "autoforge_learn", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("autoforge-learn ")
