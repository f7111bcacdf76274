"""Every command documents itself with at least one example."""

from __future__ import annotations

import re
import subprocess
import sys

import typer
from typer.main import get_command
from typer.testing import CliRunner

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


def test_help_shows_no_python_type_metavars():
    """Options read as words (NAME, N, DIMENSION), never as Python types (<str>, <bool>)."""
    root = get_command(app)
    found = {}
    for path, _command in _commands(root):
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        types = set(re.findall(r"<(?:str|bool|int|float|path|datetime|[a-z]+ range|"
                               r"list\[[a-z|]+\]|[a-z]+\|[a-z|]+)>", result.output))
        usage = next((line for line in result.output.splitlines() if "Usage:" in line), "")
        types |= set(re.findall(r"\{[a-z_]+\}", usage))  # arguments read NAME, not {name}
        if types:
            found[" ".join(path)] = sorted(types)
    assert found == {}


#: Commands without the shared --format, and why.
NO_FORMAT = {
    "schema": "prints the JSON Schema, which is JSON by nature",
    "review next": "an interactive review session",
    "export": "its --format is the written file's format (parquet, csv, jsonl)",
    "demo": "a guided run that prints its own walk-through",
    "serve": "runs a server",
}


def test_every_command_that_prints_data_takes_the_same_formats():
    root = get_command(app)
    wrong = {}
    for path, command in _commands(root):
        name = " ".join(path)
        options = [p for p in command.params if "--format" in getattr(p, "opts", [])]
        if name in NO_FORMAT or (path[0] in NO_FORMAT and len(path) == 1):
            continue
        if not options:
            wrong[name] = "no --format"
            continue
        choices = [str(getattr(c, "value", c)) for c in options[0].type_descriptor.choices or ()]
        if choices != ["table", "json", "jsonl", "csv"]:
            wrong[name] = choices
    assert wrong == {}


def test_help_speaks_in_our_words_not_the_draft_spec():
    """Users do not have the spec: help never cites its sections or leans on it."""
    root = get_command(app)
    found = []
    for path, _command in [((), root), *_commands(root)]:
        out = CliRunner().invoke(app, [*path, "--help"], terminal_width=300).output
        found += [f"{' '.join(path)}: {m}" for m in re.findall(r".{0,40}\bspec(?:'s)?\b.{0,20}",
                                                                out, re.I)]
    assert found == []


def test_every_option_is_spelled_in_lowercase():
    """Options are typed, not read: one lowercase spelling each (``--last N``)."""
    root = get_command(app)
    upper = {
        f"{' '.join(path)} {opt}"
        for path, command in _commands(root)
        for param in command.params
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("-") and opt != opt.lower()
    }
    assert upper == set()
    old = CliRunner().invoke(app, ["patterns", "--from-last-N-projects", "3"])
    assert old.exit_code == 2 and "No such option" in old.output


def test_help_paragraphs_reflow_and_examples_keep_their_lines(monkeypatch):
    """A docstring sentence wrapped in the source reads as one line on a wide terminal;
    each ``Example:`` stays a line of its own."""
    import inspect

    from rich.text import Text

    from autoforge_learn.cli.helpfmt import reflow_paragraph

    monkeypatch.setenv("COLUMNS", "3000")
    root = get_command(app)
    wrapped = 0
    missing = []
    for path, command in _commands(root):
        out = CliRunner().invoke(app, [*path, "--help"]).output
        shown = {" ".join(line.split()) for line in out.splitlines()}
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n")[1:]:
            wrapped += "\n" in paragraph and "Example:" not in paragraph
            for line in reflow_paragraph(paragraph).split("\n"):
                plain = " ".join(Text.from_markup(line).plain.split())
                if plain not in shown:
                    missing.append(f"{' '.join(path)}: {plain[:60]}")
    assert wrapped >= 10  # docstrings do wrap in the source: the check bites
    assert missing == []


def test_reflow_keeps_examples_lists_and_marked_paragraphs():
    from autoforge_learn.cli.helpfmt import reflow_paragraph

    assert reflow_paragraph("one\ntwo\nthree") == "one two three"
    assert reflow_paragraph("Example:  a b\nExample:  c d") == "Example:  a b\nExample:  c d"
    listed = "Steps:\n- first\n- second\n  more"
    assert reflow_paragraph(listed) == listed
    assert reflow_paragraph("\b\nkeep\nas is") == "keep\nas is"
