"""Data on stdout, messages on stderr: every command that prints data, in every
machine-readable format it offers, prints exactly the data on stdout (``json.loads`` or
the CSV reader take all of it), and its progress, notes and warnings only on stderr.

Each case runs in-process on its own copy of one simulated, trained store, after the
setup commands it needs (an experiment to ask about, a suggestion to apply...).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from autoforge_learn.cli import app
from tests.review.conftest import answer_flags
from tests.samples import SPEC_EXAMPLE_LINE

runner = CliRunner()

FORMATS = ("json", "jsonl", "csv")


@dataclass(frozen=True)
class Case:
    """One command: its arguments (``{name}`` filled from the setup's values), the
    setup commands it needs first, and the formats it offers."""

    args: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()
    formats: tuple[str, ...] = FORMATS
    #: Values the setup's JSON output gives: name -> (setup step index, key path).
    values: dict[str, tuple[int, tuple[str | int, ...]]] = field(default_factory=dict)
    #: Whether the command makes its own store (run in an empty directory).
    empty: bool = False


_AB = ("ab", "start", "--role", "architect", "--control", "architect.v1.1",
       "--treatment", "architect.v2.0", "--format", "json")
_ROLLOUT = ("rollout", "start", "qa.v1.1", "--format", "json")
_TOKEN = ("tokens", "create", "--scope", "read", "--format", "json")

CASES: dict[str, Case] = {
    "ab assign": Case(("ab", "assign", "{exp}", "NEW-1"), (_AB,), values={"exp": (0, ("id",))}),
    "ab compare": Case(("ab", "compare", "--control", "architect.v1.1",
                        "--treatment", "architect.v2.0")),
    "ab conclude": Case(("ab", "conclude", "{exp}", "--winner", "architect.v2.0"), (_AB,),
                        values={"exp": (0, ("id",))}),
    "ab list": Case(("ab", "list"), (_AB,)),
    "ab start": Case(_AB[:-2]),
    "ab status": Case(("ab", "status", "{exp}"), (_AB,), values={"exp": (0, ("id",))}),
    "ab stop": Case(("ab", "stop", "{exp}", "--reason", "done"), (_AB,),
                    values={"exp": (0, ("id",))}),
    "aggregate": Case(("aggregate",)),
    "demo": Case(("demo", "--projects", "6", "--skip-train"), empty=True),
    "import chatdev": Case(("import", "chatdev", "{chatdev}")),
    "index": Case(("index",)),
    "init": Case(("init",)),
    "label": Case(("label",)),
    "loops": Case(("loops",)),
    "metrics list": Case(("metrics", "list")),
    "metrics show": Case(("metrics", "show", "gate_pass_rate", "--by", "role")),
    "organize": Case(("organize", "{raw_copy}", "--dry-run")),
    "patterns": Case(("patterns",)),
    "prompts apply": Case(("prompts", "apply", "{suggestion}")),
    "prompts default": Case(("prompts", "default", "qa.v1.1", "--reason", "steadier")),
    "prompts deprecate": Case(("prompts", "deprecate", "qa.v1.0")),
    "prompts diff": Case(("prompts", "diff", "qa.v1.0", "qa.v1.1")),
    "prompts list": Case(("prompts", "list")),
    "prompts new": Case(("prompts", "new", "qa", "--change", "Shorter replies")),
    "prompts prune": Case(("prompts", "prune")),
    "prompts show": Case(("prompts", "show", "qa.v1.1")),
    "query": Case(("query", "SELECT kind, count(*) AS n FROM events GROUP BY kind")),
    "recompute": Case(("recompute", "--all")),
    "review list": Case(("review", "list"), (("review", "queue", "--format", "json"),)),
    "review queue": Case(("review", "queue")),
    "review signals": Case(("review", "signals")),
    "review stats": Case(("review", "stats")),
    "rollout list": Case(("rollout", "list"), (_ROLLOUT,)),
    "rollout start": Case(_ROLLOUT[:-2]),
    "rollout status": Case(("rollout", "status", "{rollout}"), (_ROLLOUT,),
                           values={"rollout": (0, ("id",))}),
    "rollout stop": Case(("rollout", "stop", "{rollout}", "--reason", "done"), (_ROLLOUT,),
                         values={"rollout": (0, ("id",))}),
    "schema": Case(("schema",), formats=("",)),
    "simulate": Case(("simulate", "--projects", "4", "--seed", "3"), empty=True),
    "suggest": Case(("suggest",)),
    "tokens create": Case(_TOKEN[:-2]),
    "tokens list": Case(("tokens", "list"), (_TOKEN,)),
    "tokens revoke": Case(("tokens", "revoke", "{token}"), (_TOKEN,),
                          values={"token": (0, ("id",))}),
    "train": Case(("train",)),
    "validate": Case(("validate",)),
}

#: Commands that print no data: they serve, ask questions, or write a file.
NOT_DATA = {"serve", "review next", "export"}


def _leaf_commands() -> set[str]:
    def walk(group, prefix=()):
        for name, command in group.commands.items():
            if getattr(command, "commands", None):
                yield from walk(command, (*prefix, name))
            else:
                yield " ".join((*prefix, name))

    return set(walk(get_command(app)))


def test_every_data_command_is_checked():
    assert set(CASES) == _leaf_commands() - NOT_DATA


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from autoforge_learn.sim import simulate

    root = tmp_path_factory.mktemp("streams") / ".autoforge"
    simulate(root, projects=30, seed=1)
    base = ["--root", str(root)]
    for args in (["train", "--format", "json"], ["review", "queue"],
                 ["review", "next", "--reviewer", "ana", *answer_flags()]):
        result = runner.invoke(app, [*args, *base])
        assert result.exit_code == 0, (args, result.output)
    return root


def _dig(data: object, path: tuple[str | int, ...]) -> str:
    for key in path:
        data = data[key]  # type: ignore[index]
    return str(data)


def _placeholders(root: Path, tmp_path: Path) -> dict[str, str]:
    raw_copy = tmp_path / "incoming"
    raw_copy.mkdir()
    lines = [{**SPEC_EXAMPLE_LINE, "project_id": f"NEW-{n}"} for n in range(3)]
    (raw_copy / "gates.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    suggestions = sorted((root / "ai" / "training_data" / "reports").glob("suggestions_*.yaml"))
    import yaml

    first_id = yaml.safe_load(suggestions[-1].read_text())[0]["suggestion_id"]
    return {"raw_copy": str(raw_copy), "suggestion": first_id}


def _check_stdout(result: Result, fmt: str) -> None:
    out = result.stdout
    assert out.strip(), "nothing on stdout"
    if fmt in ("json", ""):
        json.loads(out)
    elif fmt == "jsonl":
        lines = out.splitlines()
        assert all(line.strip() for line in lines), "blank line in JSON lines"
        for line in lines:
            json.loads(line)
    else:
        rows = list(csv.reader(io.StringIO(out)))
        assert rows and all(len(row) == len(rows[0]) for row in rows), rows[:5]
        assert all(not cell.startswith(("wrote ", "Wrote ")) for cell in rows[0])


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(name, fmt) for name, case in sorted(CASES.items()) for fmt in case.formats],
)
def test_data_on_stdout_messages_on_stderr(
    name: str,
    fmt: str,
    trained_store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[name]
    root = tmp_path / "store" / ".autoforge"
    if not case.empty:
        shutil.copytree(trained_store, root)
    monkeypatch.setenv("AUTOFORGE_HOME", str(root))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)
    values = {} if case.empty else _placeholders(root, tmp_path)
    if "{chatdev}" in case.args:
        from tests.conftest import chatdev_logs

        values["chatdev"] = str(next(chatdev_logs().iterdir()))
    outputs = []
    for step in case.setup:
        done = runner.invoke(app, list(step))
        assert done.exit_code == 0, (step, done.output)
        outputs.append(json.loads(done.stdout))
    for key, (index, path) in case.values.items():
        values[key] = _dig(outputs[index], path)
    args = [arg.format(**values) for arg in case.args]
    result = runner.invoke(app, [*args, *(["--format", fmt] if fmt else [])])
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    _check_stdout(result, fmt)
