"""The Arrow reader (:mod:`autoforge_learn.analyze.arrowparse`) must give the index the
SQL reader gives, and hand every batch it cannot read exactly to the SQL reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from autoforge_learn.analyze import arrowparse, build_index
from autoforge_learn.analyze.engine import connect

from .conftest import FLAT_GATE


def _index(root: Path, engine: str | None) -> tuple[Any, list[dict]]:
    # rebuild: on PostgreSQL both roots share the test's schema
    report = build_index(root, engine=engine, rebuild=True)
    rows = connect(root, engine).table("events").order_by("event_id").to_pyarrow().to_pylist()
    for row in rows:
        if isinstance(row["extra"], str):
            row["extra"] = json.loads(row["extra"])
    return report, rows


def _spy(monkeypatch: pytest.MonkeyPatch, *, disable: bool = False) -> list[bool]:
    """Record whether Arrow took each batch (or make it take none)."""
    taken: list[bool] = []
    parse = arrowparse.parse_lines

    def spy(*args: Any) -> Any:
        out = None if disable else parse(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(arrowparse, "parse_lines", spy)
    return taken


def test_every_group_parsed_by_arrow_gives_the_sql_readers_index(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated projects (every event kind, every file group, extras of every type)."""
    from autoforge_learn.sim import simulate

    results = []
    for name, disable in (("arrow", False), ("sql", True)):
        root = tmp_path / name / ".autoforge"
        simulate(root, projects=12, seed=3)
        taken = _spy(monkeypatch, disable=disable)
        report, rows = _index(root, engine)
        monkeypatch.undo()
        assert taken and all(taken) is not disable and report.issues == []
        results.append((report.events, rows))
    assert results[0][0] > 200
    # the SQL reader keeps a float extra written as an integer (5) as 5, Arrow as 5.0:
    # the same JSON number
    assert results[0] == results[1]


ODD_LINES = {
    "two objects on a line": b'{"project_id":"A","gate_id":"g","gate_result":"pass",'
    b'"timestamp":"2025-10-01T00:00:00Z"} {"project_id":"A"}',
    "a blank line": b"",
    # as many rows as lines, but not one per line: only the line check catches it
    "two objects, then a blank line": b'{"project_id":"A","gate_id":"g","gate_result":"pass",'
    b'"timestamp":"2025-10-01T00:00:00Z"} {"project_id":"A"}\n',
    "a leading space": b' {"project_id":"A","gate_id":"g2","gate_result":"pass",'
    b'"timestamp":"2025-10-01T00:00:00Z"}',
    "a duplicate key": b'{"project_id":"A","gate_id":"g","gate_id":"g3","gate_result":"fail",'
    b'"timestamp":"2025-10-01T00:00:00Z"}',
    "a number for a string": orjson.dumps({**FLAT_GATE, "project_id": "A", "stage": 5}),
    "an integer as text": orjson.dumps({**FLAT_GATE, "project_id": "A", "retry_attempt": "2"}),
    "an object for an extra": orjson.dumps(
        {**FLAT_GATE, "project_id": "A", "downstream_feedback": {"x": 1}}
    ),
    "event_id only inside a value": orjson.dumps(
        {**FLAT_GATE, "project_id": "A", "gate_result_reason": 'no "event_id" here'}
    ),
    "a null event_id": orjson.dumps({**FLAT_GATE, "project_id": "A", "event_id": None}),
    "an array": b"[1, 2]",
    "a lone surrogate": b'{"project_id":"A","gate_id":"\\ud800","gate_result":"pass",'
    b'"timestamp":"2025-10-01T00:00:00Z"}',
}


@pytest.mark.parametrize("odd", sorted(ODD_LINES))
def test_a_batch_with_an_odd_line_gives_the_sql_readers_index(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    """Lines Arrow would misalign, convert or refuse: the batch goes to the SQL reader
    (or, where Arrow reads it exactly, gives the same rows)."""
    results = []
    for name, disable in (("arrow", False), ("sql", True)):
        root = tmp_path / name / ".autoforge"
        path = root / "ai" / "training_data" / "raw" / "2025-10" / "project_A_gates.jsonl"
        path.parent.mkdir(parents=True)
        good = [orjson.dumps({**FLAT_GATE, "project_id": "A", "retry_attempt": i}) for i in (1, 2)]
        other = root / "ai" / "training_data" / "raw" / "2025-10" / "project_B_gates.jsonl"
        other.write_bytes(orjson.dumps({**FLAT_GATE, "project_id": "B"}) + b"\n")
        path.write_bytes(b"\n".join([good[0], ODD_LINES[odd], good[1]]) + b"\n")
        taken = _spy(monkeypatch, disable=disable)
        report, rows = _index(root, engine)
        monkeypatch.undo()
        results.append(([(i.line, i.reason) for i in report.issues], rows))
        if disable:
            assert taken == [False]
    assert results[0] == results[1]


def test_plain_flat_lines_are_parsed_by_arrow(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / ".autoforge"
    path = root / "ai" / "training_data" / "raw" / "2025-10" / "project_A_gates.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"".join(
            orjson.dumps({**FLAT_GATE, "project_id": "A", "retry_attempt": i}) + b"\n"
            for i in (1, 2, 3)
        )
    )
    taken = _spy(monkeypatch)
    report, rows = _index(root, engine)
    assert taken == [True] and report.events == 3
    assert sorted(r["retry_attempt"] for r in rows) == [1, 2, 3]


def test_every_kept_key_has_one_arrow_type() -> None:
    """Each group's keys map to exactly one Arrow type (else Arrow would never be used)."""
    for group in ("gates", "execution", "feedback", "all"):
        types = arrowparse.arrow_types(group)
        assert types is not None, group
    assert arrowparse.arrow_types("feedback")["options_offered"] == "list<string>"
    assert arrowparse.arrow_types("execution")["created_at"] == "string"
    assert arrowparse.arrow_types("execution")["cost_estimated"] == "bool"
