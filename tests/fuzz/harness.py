"""What every fuzz case checks, in one place: a time limit, a CLI run that must end
cleanly, a snapshot of files that must not change, and the events the index holds
against the events ``validate`` accepts."""

from __future__ import annotations

import faulthandler
import hashlib
import os
import signal
import stat
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.store.reader import RawReader
from autoforge_learn.workspace import Workspace

#: A case's time limit: far above what any case takes, far below forever.
CASE_SECONDS = 30.0

RUNNER = CliRunner()


class CaseTimeout(BaseException):
    """A case ran past its time limit (a BaseException, so that no ``except Exception``
    in the code under test can swallow it)."""


@contextmanager
def time_limit(seconds: float = CASE_SECONDS) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the block after ``seconds``.

    SIGALRM interrupts a blocking system call (opening a FIFO, reading it); should the
    process be stuck where no Python code runs, faulthandler ends it later with every
    thread's stack, so a hang fails CI instead of blocking it.
    """

    def expired(signum: int, frame: object) -> None:
        raise CaseTimeout(f"the case ran past its {seconds:.0f} s time limit (a hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * 3, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()


def run_cli(
    args: Sequence[str], *, mentions: Sequence[str] = (), usage_errors: bool = False
) -> Result:
    """Run ``autoforge ARGS`` in-process under the time limit; the run must end cleanly
    (see :func:`assert_clean_exit`)."""
    with time_limit():
        result = RUNNER.invoke(app, list(args))
    assert_clean_exit(result, args, mentions, usage_errors=usage_errors)
    return result


def assert_clean_exit(
    result: Result, args: Sequence[str], mentions: Sequence[str], *, usage_errors: bool = False
) -> None:
    """Exit 0, or exit 1 with a message naming one of ``mentions`` (the file, line or
    field at fault); never a traceback. With ``usage_errors``, exit 2 for a value a
    command cannot take (a usage error) is a clean end too, with the same message."""
    shown = f"autoforge {' '.join(map(repr, args))}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        trace = "".join(traceback.format_exception(*result.exc_info))
        raise AssertionError(f"{shown} raised:\n{trace}\noutput:\n{result.output}")
    assert "Traceback (most recent call last)" not in result.output, (shown, result.output)
    allowed = (0, 1, 2) if usage_errors else (0, 1)
    assert result.exit_code in allowed, (shown, result.exit_code, result.output)
    if result.exit_code != 0:
        assert result.output.strip(), f"{shown} exited {result.exit_code} without a word"
        if mentions:
            assert any(m in result.output for m in mentions), (
                f"{shown} exited {result.exit_code} without naming any of "
                f"{list(mentions)}:\n{result.output}"
            )


# -- files that must not change ------------------------------------------------------

Entry = tuple[str, bytes | str | int]


def snapshot(top: Path) -> dict[str, Entry]:
    """Every name under ``top`` (links not followed): a file's digest and mode, a link's
    target, a directory's or FIFO's mode."""
    out: dict[str, Entry] = {}
    if not os.path.lexists(top):
        return out
    if top.is_symlink() or not top.is_dir():  # one file: itself
        return {".": _entry(top)}
    for directory, subdirs, names in os.walk(top, followlinks=False):
        for name in [*subdirs, *names]:
            path = Path(directory) / name
            out[str(path.relative_to(top))] = _entry(path)
    return out


def _entry(path: Path) -> Entry:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(info.st_mode):
        digest = hashlib.sha256(path.read_bytes()).digest()
        return ("file", digest + b"|mode=%o" % info.st_mode)
    return ("other", info.st_mode)


@contextmanager
def unchanged(*tops: Path) -> Iterator[None]:
    """Assert that nothing under ``tops`` changed in the block (raw files, sources)."""
    before = [snapshot(top) for top in tops]
    yield
    for top, was in zip(tops, before, strict=True):
        now = snapshot(top)
        changed = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
        assert not changed, f"{top}: changed by a reader: {changed}"


# -- the index against validate --------------------------------------------------------


@dataclass(frozen=True)
class Verdicts:
    """What a reader made of a store's raw lines.

    Attributes:
        events: (event_id, file) of every event kept, the file relative to raw/.
        rejected: (file, line) of every line left out as invalid.
    """

    events: frozenset[tuple[str, str]]
    rejected: frozenset[tuple[str, int]]


def _rel(raw: Path, path: str | Path) -> str:
    p = Path(path)
    return str(p.relative_to(raw)) if p.is_absolute() else str(p)


def validate_verdicts(root: Path, *, nul_as: str = "\ufffd") -> Verdicts:
    """The store's lines as ``validate`` reads them (:class:`RawReader`, the library
    reader behind ``autoforge validate``), over the files the index reads.

    ``nul_as`` replaces NUL in event ids: PostgreSQL text cannot hold NUL, so the index
    stores U+FFFD instead, on both engines (so that they hold the same events).
    """
    raw = StoreLayout(root).raw
    reader = RawReader.of_store(root)
    events = frozenset(
        (e.event.event_id.replace("\x00", nul_as), _rel(raw, e.path)) for e in reader
    )
    rejected = frozenset(
        (_rel(raw, p.path), p.lineno) for p in reader.summary.problems if p.lineno > 0
    )
    return Verdicts(events, rejected)


def index_verdicts(root: Path, engine: str | None) -> Verdicts:
    """The store's lines as the index holds them: its events and its left-out lines."""
    raw = StoreLayout(root).raw
    with time_limit(), Workspace(root, engine=engine) as ws:
        report = ws.refresh()
        rows = ws.backend().table("events").select("event_id", "source_file").to_pyarrow()
        events = frozenset(
            (r["event_id"], _rel(raw, r["source_file"])) for r in rows.to_pylist()
        )
    rejected = frozenset((_rel(raw, i.path), i.line) for i in report.issues if i.line > 0)
    return Verdicts(events, rejected)


def assert_index_agrees(
    root: Path, engine: str | None, case_of: Callable[[str], str] | None = None
) -> None:
    """The index holds exactly the events validate accepts, from the same files, and
    leaves out exactly the lines validate rejects. ``case_of`` names the corpus case of
    a file (under raw/), so that a failure lists the cases that disagree."""
    truth = validate_verdicts(root)
    got = index_verdicts(root, engine)
    name = case_of or (lambda rel: rel)
    wrong: dict[str, list[str]] = {}
    for what, a, b in (
        ("event only in the index", got.events, truth.events),
        ("event only in validate", truth.events, got.events),
        ("line left out only by the index", got.rejected, truth.rejected),
        ("line rejected only by validate", truth.rejected, got.rejected),
    ):
        for item in sorted(a - b, key=repr):
            rel = item[1] if isinstance(item[1], str) else str(item[0])
            wrong.setdefault(name(rel), []).append(f"{what}: {item!r}")
    assert not wrong, "the index and validate disagree:\n" + "\n".join(
        f"  {case}: {'; '.join(items[:4])}" for case, items in sorted(wrong.items())
    )
