"""Odd paths in or named to the store (link loops, FIFOs, huge numbers) are reported and
passed over; they never crash or hang a command or hide the rest of the store."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector
from autoforge_learn.store.layout import StoreLayout, scan_raw_files
from autoforge_learn.store.validate import LineProblem, expand_paths

runner = CliRunner()


def _store(root: Path) -> Path:
    with Collector(root) as c:
        for i in range(3):
            c.on_gate_evaluation(project_id=f"p{i}", gate_id="g", validation_result="pass")
    raw = StoreLayout(root).raw
    month = next(raw.iterdir())
    (raw / "2020-01").symlink_to(raw / "2020-01")  # a month that links to itself
    (month / "loop").symlink_to(".")  # a link back up the tree
    return raw


def test_link_loops_are_named_and_the_rest_is_read(af_root: Path) -> None:
    raw = _store(af_root)
    problems: list[LineProblem] = []
    files = expand_paths([raw], problems=problems)
    assert len(files) == 3
    messages = sorted(f"{p.path.name}: {p.message}" for p in problems)
    assert messages == [
        "2020-01: a symbolic link that leads nowhere (broken or a loop)",
        "loop: a symbolic link to a directory already read (a loop)",
    ]
    found: list[str] = []
    assert len(scan_raw_files(raw, found)) == 3
    assert len(found) == 1 and "2020-01: cannot be read" in found[0]


def test_commands_go_on_past_link_loops(af_root: Path) -> None:
    _store(af_root)
    result = runner.invoke(app, ["validate", "--root", str(af_root)])
    assert result.exit_code == 1, result.output
    assert "a symbolic link that leads nowhere" in result.output
    assert "3 valid events" in result.output
    for args in (["index"], ["metrics", "show", "--metric", "gate_pass_rate"], ["train"]):
        result = runner.invoke(app, [*args, "--root", str(af_root)])
        assert result.exit_code == 0, (args, result.output, repr(result.exception))


def test_a_fifo_named_or_found_is_not_read(af_root: Path, tmp_path: Path) -> None:
    raw = _store(af_root)
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    result = runner.invoke(app, ["validate", str(fifo), "--root", str(af_root)])
    assert result.exit_code == 1 and "not a regular file" in result.output
    month = next(p for p in raw.iterdir() if not p.is_symlink())
    os.mkfifo(month / "project_x_gates.jsonl")
    result = runner.invoke(app, ["validate", "--root", str(af_root)])
    assert "project_x_gates.jsonl:0: file: not a regular file" in result.output
    result = runner.invoke(app, ["organize", str(tmp_path), "--root", str(af_root), "--dry-run"])
    assert "not a regular file" in result.output
    assert runner.invoke(app, ["index", "--root", str(af_root)]).exit_code == 0


def test_a_huge_last_is_a_usage_error(af_root: Path) -> None:
    _store(af_root)
    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_pass_rate", "--last",
                                 "99999999999999999999", "--root", str(af_root)])
    assert result.exit_code == 2 and "from 1 to 2,147,483,647" in result.output


def test_a_file_that_cannot_be_written_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Writing where the store cannot be written (here a folder that is a file, which
    stops root too, unlike a read-only mode) is an error naming the path."""
    from autoforge_learn.errors import StoreAccessError
    from autoforge_learn.store.atomic import replace_text
    from autoforge_learn.store.locks import exclusive

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for write in (
        lambda: replace_text(blocker / "out.json", "{}"),
        lambda: exclusive(blocker / ".x.lock").__enter__(),
    ):
        try:
            write()
        except StoreAccessError as exc:
            assert str(blocker) in exc.message, exc.message
        else:
            raise AssertionError("no error")
    assert blocker.read_text() == "x"


def test_export_to_a_path_that_cannot_be_written_says_so(af_root: Path, tmp_path: Path) -> None:
    _store(af_root)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    out = blocker / "events.jsonl"
    result = runner.invoke(app, ["export", str(out), "--root", str(af_root)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"cannot write {out}" in result.output
