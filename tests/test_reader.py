"""The raw reader: every line parsed once, duplicates by event_id, problems named by line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from autoforge_learn.schema.parse import derive_event_id
from autoforge_learn.store import StoreLayout
from autoforge_learn.store.reader import TORN_LINE, LineProblem, RawReader
from tests.samples import SPEC_EXAMPLE_LINE

GATE = {
    "event_id": "g1",
    "kind": "gate_evaluation",
    "schema_version": "1.0",
    "project_id": "P1",
    "timestamp": "2025-10-01T10:00:00Z",
    "gate_id": "tests_pass",
    "agent_role": "qa",
    "validation_result": "pass",
}


def _line(**changes: object) -> bytes:
    return orjson.dumps({**GATE, **changes})


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _raw(root: Path, month: str, name: str, data: bytes) -> Path:
    return _write(StoreLayout(root).raw / month / name, data)


def test_events_come_with_their_file_line_number_and_bytes(tmp_path):
    first, second = _line(), _line(event_id="g2", validation_result="fail")
    path = _write(tmp_path / "a.jsonl", first + b"\n\n   \n" + second + b"\n")
    reader = RawReader([path])
    got = list(reader)
    assert [(r.event.event_id, r.path, r.lineno, r.line.data) for r in got] == [
        ("g1", path, 1, first),
        ("g2", path, 4, second),
    ]
    assert got[1].event.validation_result == "fail"
    # Blank lines are not lines of the file's content: not counted, not problems.
    summary = reader.summary
    assert (summary.files, summary.lines, summary.valid, summary.invalid_lines) == (1, 2, 2, 0)
    assert summary.kinds == {"gate_evaluation": 2} and summary.ok
    assert summary.last_line == {path: 4}


def test_a_torn_last_line_is_a_problem_and_the_lines_before_it_are_read(tmp_path):
    path = _write(tmp_path / "a.jsonl", _line() + b"\n" + _line(event_id="g2")[:-5])
    reader = RawReader([path])
    assert [r.event.event_id for r in reader] == ["g1"]
    assert reader.summary.problems == [LineProblem(path, 2, "(line)", TORN_LINE)]
    assert (reader.summary.lines, reader.summary.invalid_lines) == (2, 1)


def test_a_line_that_is_not_json_is_a_problem(tmp_path):
    path = _write(tmp_path / "a.jsonl", b'{"event_id": "g1",\n' + _line(event_id="g2") + b"\n")
    reader = RawReader([path])
    assert [r.event.event_id for r in reader] == ["g2"]
    (problem,) = reader.summary.problems
    assert (problem.lineno, problem.field) == (1, "(line)")
    assert problem.message.startswith("not valid JSON")


def test_an_invalid_event_names_each_bad_field(tmp_path):
    bad = {k: v for k, v in GATE.items() if k != "gate_id"} | {"validation_result": "maybe"}
    path = _write(tmp_path / "a.jsonl", b"[1, 2]\n" + orjson.dumps(bad) + b"\n")
    summary = RawReader([path]).read()
    assert sorted((p.lineno, p.field) for p in summary.problems) == [
        (1, "(event)"),
        (2, "gate_id"),
        (2, "validation_result"),
    ]
    # Two lines are invalid, whatever the number of problems each has.
    assert (summary.invalid_lines, summary.valid) == (2, 0)
    gate_id = next(p for p in summary.problems if p.field == "gate_id")
    assert str(gate_id) == f"{path}:2: gate_id: {gate_id.message}"


def test_crlf_lines_read_as_their_lf_twins(tmp_path):
    flat = orjson.dumps(SPEC_EXAMPLE_LINE)
    crlf = _write(tmp_path / "crlf.jsonl", _line() + b"\r\n" + flat + b"\r\n")
    lf = _write(tmp_path / "lf.jsonl", _line() + b"\n" + flat + b"\n")
    reader = RawReader([crlf, lf])
    got = list(reader)
    assert [r.line.data for r in got] == [_line(), flat]
    # The flat line's derived id ignores the carriage return: the LF copy is a duplicate.
    assert got[1].event.event_id == derive_event_id(flat + b"\n")
    assert (reader.summary.valid, reader.summary.duplicates, reader.summary.ok) == (2, 2, True)


def test_an_exact_repeat_in_another_file_is_a_duplicate_however_it_is_spelled(tmp_path):
    a = _write(tmp_path / "a.jsonl", _line() + b"\n")
    # The same event with its keys in another order and another timestamp notation.
    respelled = orjson.dumps(
        dict(reversed(list({**GATE, "timestamp": "2025-10-01T10:00:00+00:00"}.items())))
    )
    b = _write(tmp_path / "b.jsonl", _line() + b"\n" + respelled + b"\n")
    reader = RawReader([a, b])
    assert [(r.path, r.lineno) for r in reader] == [(a, 1)]
    summary = reader.summary
    assert (summary.valid, summary.duplicates, summary.invalid_lines) == (1, 2, 0)
    assert summary.ok and summary.kinds == {"gate_evaluation": 1}


def test_the_same_id_with_different_content_is_reported_at_the_later_line(tmp_path):
    a = _write(tmp_path / "a.jsonl", _line() + b"\n")
    b = _write(tmp_path / "b.jsonl", _line(validation_result="fail") + b"\n")
    reader = RawReader([a, b])
    got = list(reader)
    assert [(r.path, r.event.validation_result) for r in got] == [(a, "pass")]
    (problem,) = reader.summary.problems
    assert (problem.path, problem.lineno, problem.field) == (b, 1, "event_id")
    assert "'g1'" in problem.message and "different event" in problem.message
    assert (reader.summary.duplicates, reader.summary.invalid_lines) == (0, 1)


def test_flat_gate_lines_get_the_id_derived_from_their_bytes(tmp_path):
    flat = orjson.dumps(SPEC_EXAMPLE_LINE)
    other = orjson.dumps({**SPEC_EXAMPLE_LINE, "retry_attempt": 2})
    path = _write(tmp_path / "a.jsonl", flat + b"\n" + other + b"\n" + flat + b"\n")
    reader = RawReader([path])
    got = [r.event for r in reader]
    assert [e.event_id for e in got] == [derive_event_id(flat), derive_event_id(other)]
    assert {str(e.kind) for e in got} == {"gate_evaluation"}
    assert got[0].validation_result == "fail"
    assert (reader.summary.valid, reader.summary.duplicates) == (2, 1)


def test_a_store_is_read_month_by_month_and_the_earliest_line_wins(tmp_path):
    root = tmp_path / ".autoforge"
    later = _raw(root, "2025-10", "project_A_gates.jsonl", _line(validation_result="fail") + b"\n")
    earlier = _raw(root, "2025-09", "project_Z_gates.jsonl", _line() + b"\n")
    _raw(root, "2025-09", "notes.txt", b"not a raw file\n")
    reader = RawReader.of_store(root)
    assert reader.files == [earlier, later]
    assert [(r.path, r.event.validation_result) for r in reader] == [(earlier, "pass")]
    assert [(p.path, p.field) for p in reader.summary.problems] == [(later, "event_id")]


def test_every_line_is_accounted_for_and_a_reader_reads_once(tmp_path):
    path = _write(
        tmp_path / "a.jsonl",
        b"\n".join(
            [_line(), b"nope", _line(), _line(validation_result="fail"), _line(event_id="g2")]
        )
        + b"\n"
        + b'{"torn',
    )
    reader = RawReader([path])
    assert reader.events()[-1].event_id == "g2"
    s = reader.summary
    assert (s.lines, s.valid, s.duplicates, s.invalid_lines) == (6, 2, 1, 3)
    assert s.lines == s.valid + s.duplicates + s.invalid_lines
    assert s.last_line == {path: 6}
    assert s.to_dict()["invalid"] == 3 and s.to_dict()["ok"] is False
    with pytest.raises(RuntimeError, match="once"):
        list(reader)
