"""Every raw-store case of the corpus through every reader of raw events: ``validate``,
``organize`` (and the store it files into), and ``index`` on both engines, new and
appended to.

The cases that are files alone share one store, each in a month folder of its own, so
that each reader runs once over all of them (a failure names the cases at fault); the
cases that shape the file system (links, FIFOs, modes) get a store each. The ``slow``
variant runs every case in a store of its own, to isolate one."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from autoforge_learn.store.layout import StoreLayout

from .corpus import EVENT_CASES
from .harness import assert_index_agrees, run_cli, unchanged

SHARED = sorted(n for n, c in EVENT_CASES.items() if c.movable)
ALONE = sorted(n for n, c in EVENT_CASES.items() if not c.movable)


def _month(i: int) -> str:
    return f"{2001 + i // 12}-{i % 12 + 1:02d}"


def _shared_store(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "store" / ".autoforge"
    raw = StoreLayout(root).raw
    raw.mkdir(parents=True)
    for i, name in enumerate(SHARED):
        EVENT_CASES[name].build(raw, month=_month(i), tag=f"c{i}")
    return root, raw


def _case_of(rel: str) -> str:
    """The case a file of the shared store belongs to."""
    months = {_month(i): name for i, name in enumerate(SHARED)}
    return months.get(rel.split("/")[0], rel)


def _store(tmp_path: Path, name: str) -> tuple[Path, Path]:
    root = tmp_path / "store" / ".autoforge"
    raw = StoreLayout(root).raw
    raw.mkdir(parents=True)
    EVENT_CASES[name].build(raw)
    return root, raw


def _index_args(root: Path, engine: str | None) -> list[str]:
    return ["index", "--root", str(root), *(["--engine", engine] if engine else [])]


def _validate_and_organize(
    tmp_path: Path, root: Path, raw: Path, *, index_filed: bool = True
) -> None:
    dest = tmp_path / "dest" / ".autoforge"
    with unchanged(raw):
        run_cli(["validate", "--root", str(root)], mentions=[str(raw)])
        report = orjson.loads(
            run_cli(["validate", "--root", str(root), "--format", "json"]).stdout
        )
        assert report["lines"] == report["valid"] + report["duplicates"] + report["invalid"]
        run_cli(["validate", str(raw)], mentions=[str(raw)])
        first = run_cli(["organize", str(raw), "--root", str(dest)], mentions=[str(raw)])
        again = run_cli(["organize", str(raw), "--root", str(dest), "--format", "json"],
                        mentions=[str(raw)])
    assert orjson.loads(again.stdout)["filed"] == 0, first.output  # idempotent
    if (dest / "ai").exists():  # what organize filed is valid, and all of it is indexed
        filed = orjson.loads(
            run_cli(["validate", "--root", str(dest), "--format", "json"]).stdout
        )
        assert filed["problems"] == [], filed["problems"]
        if index_filed:
            run_cli(["index", "--root", str(dest)])
            assert_index_agrees(dest, None)


def _index_new(root: Path, raw: Path, engine: str | None, case_of=None) -> None:
    with unchanged(raw):
        run_cli(_index_args(root, engine), mentions=[str(raw)])
        run_cli([*_index_args(root, engine), "--format", "json"])
    assert_index_agrees(root, engine, case_of)


def _index_appended(root: Path, raw: Path, engine: str | None, case_of=None) -> None:
    """Each file's first line indexed first, the rest appended afterwards: the lines
    are read by the incremental path."""
    full = {p: p.read_bytes() for p in StoreLayout(root).raw_files()}
    cut = {p: data[: data.find(b"\n") + 1] for p, data in full.items()}
    for path, head in cut.items():
        path.write_bytes(head)
    run_cli(_index_args(root, engine), mentions=[str(raw)])
    for path, data in full.items():
        with open(path, "ab") as handle:
            handle.write(data[len(cut[path]):])
    with unchanged(raw):
        run_cli(_index_args(root, engine), mentions=[str(raw)])
    assert_index_agrees(root, engine, case_of)


def test_validate_and_organize_read_every_case(tmp_path: Path) -> None:
    root, raw = _shared_store(tmp_path)
    _validate_and_organize(tmp_path, root, raw)


def test_the_index_holds_what_validate_accepts(tmp_path: Path, engine: str | None) -> None:
    root, raw = _shared_store(tmp_path)
    _index_new(root, raw, engine, _case_of)


def test_the_index_appended_to_holds_what_validate_accepts(
    tmp_path: Path, engine: str | None
) -> None:
    root, raw = _shared_store(tmp_path)
    _index_appended(root, raw, engine, _case_of)


@pytest.mark.parametrize("name", ALONE)
def test_validate_and_organize_read_a_file_system_case(tmp_path: Path, name: str) -> None:
    root, raw = _store(tmp_path, name)
    _validate_and_organize(tmp_path, root, raw)


@pytest.mark.parametrize("name", ALONE)
def test_the_index_reads_a_file_system_case(
    tmp_path: Path, engine: str | None, name: str
) -> None:
    root, raw = _store(tmp_path, name)
    _index_new(root, raw, engine)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHARED)
def test_each_case_alone(tmp_path: Path, engine: str | None, name: str) -> None:
    """Every shared case in a store of its own (the shared-store tests find a bug; this
    one tells which case alone shows it)."""
    root, raw = _store(tmp_path, name)
    _validate_and_organize(tmp_path / "alone", root, raw)
    _index_new(root, raw, engine)
    _index_appended(root, raw, engine)
