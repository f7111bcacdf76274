"""The incremental index: appends, new files, rewrites, torn and invalid lines, duplicates."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from autoforge_learn.analyze.report import InvalidLinesError
from autoforge_learn.collect import Collector
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.workspace import Workspace
from tests.helpers import build_index, metric_values

from .conftest import FLAT_GATE, ts


def _gates(root: Path, project: str, month: str) -> Path:
    return StoreLayout(root).raw_file(project, month, "gates")


def _failures(root: Path, engine: str | None) -> tuple[int, int]:
    row = metric_values(root, "gate_failure_rate", engine=engine)[0]
    return row["numerator"], row["denominator"]


def test_flat_lines_are_gates_and_rerun_reads_nothing(root: Path, engine: str | None) -> None:
    first = build_index(root, engine=engine)
    assert first.events == 23 and not first.issues
    assert _failures(root, engine) == (4, 7)
    again = build_index(root, engine=engine)
    assert again.bytes_read == 0 and again.events_added == 0 and again.events == 23


def test_append_reads_only_new_bytes(root: Path, engine: str | None) -> None:
    build_index(root, engine=engine)
    path = _gates(root, "A", "2025-09")
    size = path.stat().st_size
    with Collector(root) as c:
        c.on_gate_evaluation(
            project_id="A",
            gate_id="lint",
            validation_result="fail",
            agent_role="engineer",
            timestamp=ts("2025-09-06"),
        )
    report = build_index(root, engine=engine)
    assert report.files_read == 1 and report.events_added == 1
    assert report.bytes_read == path.stat().st_size - size
    assert _failures(root, engine) == (5, 8)


def test_new_file_and_removed_file(root: Path, engine: str | None) -> None:
    build_index(root, engine=engine)
    with Collector(root) as c:
        c.on_gate_evaluation(
            project_id="C", gate_id="lint", validation_result="pass", timestamp=ts("2025-11-01")
        )
    assert build_index(root, engine=engine).events_added == 1
    assert _failures(root, engine) == (4, 8)
    _gates(root, "C", "2025-11").unlink()
    report = build_index(root, engine=engine)
    assert report.files_removed == 1
    assert _failures(root, engine) == (4, 7)


def test_shrunk_or_rewritten_file_is_reloaded(root: Path, engine: str | None) -> None:
    build_index(root, engine=engine)
    path = _gates(root, "A", "2025-09")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[1:]))  # drop the first (a fail)
    report = build_index(root, engine=engine)
    assert report.files_reloaded == 1
    assert _failures(root, engine) == (3, 6)
    # same size, different head: a rewrite, not an append
    data = path.read_bytes()
    data = data.replace(b'"validation_result":"pass"', b'"validation_result":"fail"', 1)
    path.write_bytes(data)
    build_index(root, engine=engine)
    assert _failures(root, engine) == (4, 6)


def test_torn_and_invalid_lines_are_reported_and_left_out(root: Path, engine: str | None) -> None:
    build_index(root, engine=engine)
    path = _gates(root, "B", "2025-10")
    with open(path, "ab") as handle:
        handle.write(b"not json at all\n")
        handle.write(orjson.dumps({**FLAT_GATE, "gate_result": "maybe"}) + b"\n")
        handle.write(b'{"project_id": "B", "gate_id": "x", "gate_res')
    report = build_index(root, engine=engine)
    reasons = {i.line: i.reason for i in report.issues}
    assert set(reasons) == {3, 4, 5}
    assert "JSON" in reasons[3] and "gate_result" in reasons[4] and "torn" in reasons[5]
    assert all(str(i).startswith(f"{path}:") for i in report.issues)
    assert _failures(root, engine) == (4, 7)
    assert len(build_index(root, engine=engine).issues) == 3  # the torn line is not doubled
    with open(path, "ab") as handle:  # the writer finishes the torn line: now it is whole
        handle.write(b'ult": "pass", "timestamp": "2025-10-05T00:00:00Z"}\n')
    report = build_index(root, engine=engine)
    assert [i.line for i in report.issues] == [3, 4]
    assert _failures(root, engine) == (4, 8)
    with pytest.raises(InvalidLinesError, match=rf"{path.name}:3: "):
        build_index(root, engine=engine, strict=True)


def test_invalid_line_in_a_new_file_is_found_by_the_bulk_reader(
    root: Path, engine: str | None
) -> None:
    path = _gates(root, "A", "2025-09")
    with open(path, "ab") as handle:
        handle.write(orjson.dumps({**FLAT_GATE, "project_id": "A", "retry_attempt": "x"}) + b"\n")
        handle.write(orjson.dumps({**FLAT_GATE, "project_id": "../A"}) + b"\n")
    report = build_index(root, engine=engine)
    assert [i.line for i in report.issues] == [6, 7]
    assert _failures(root, engine) == (4, 7)


def test_duplicate_event_id_counts_once(root: Path, engine: str | None) -> None:
    path = _gates(root, "A", "2025-09")
    first = path.read_bytes().splitlines()[0]
    other = _gates(root, "B", "2025-10")
    with open(other, "ab") as handle:
        handle.write(first + b"\n" + orjson.dumps(FLAT_GATE) + b"\n")  # both seen before
    report = build_index(root, engine=engine)
    assert report.duplicates == 2
    assert _failures(root, engine) == (4, 7)
    # the kept copy goes away: the other copy now counts
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[1:]))
    build_index(root, engine=engine)
    assert _failures(root, engine) == (4, 7)


def test_bulk_and_line_paths_give_the_same_rows(tmp_path: Path, engine: str | None) -> None:
    """A flat line read in bulk and the same line read line by line are one event."""
    root = tmp_path / ".autoforge"
    bulk = _gates(root, "A", "2025-10")
    slow = _gates(root, "B", "2025-10")
    bulk.parent.mkdir(parents=True)
    line = orjson.dumps({**FLAT_GATE, "project_id": "A", "max_retries": 3})
    minimal = orjson.dumps(
        {
            "project_id": "A",
            "gate_id": "g",
            "gate_result": "pass",
            "timestamp": "2025-10-02T14:30:00+00:00",
        }
    )
    bulk.write_bytes(line + b"\n" + minimal + b"\n")
    slow.write_bytes(line + b"\n" + minimal + b"\n" + b'{"torn')  # torn tail: read line by line
    report = build_index(root, engine=engine)
    assert report.events == 2 and report.duplicates == 2
    assert [i.line for i in report.issues] == [3]
    rows = _rows(root, engine)
    assert [r["retry_attempt"] for r in rows] == [1, 1]
    assert {r["human_override"] for r in rows} == {False}
    flat = next(r for r in rows if r["gate_id"] == "spec_complete")
    extra = flat["extra"] if isinstance(flat["extra"], dict) else orjson.loads(flat["extra"])
    assert extra == {
        "auto_fix_strategy": "architect_drafts_stub",
        "max_retries": 3,
        "validation_reason": "File does not exist at api/openapi.yaml",
    }
    # the line-by-line copy was counted as the duplicate: reloading the bulk file without
    # it makes the other copy count
    bulk.write_bytes(b"")
    assert build_index(root, engine=engine).events == 2


def _rows(root: Path, engine: str | None) -> list[dict]:
    with Workspace(root, engine=engine) as ws:
        return ws.backend().table("events").order_by("event_id").to_pyarrow().to_pylist()


def test_derived_id_is_the_md5_of_the_line_everywhere(tmp_path: Path, engine: str | None) -> None:
    """A line without event_id gets one id from the bulk reader, the line-by-line reader,
    validate and organize alike: ``d-`` + the MD5 of the line with its newline, so the
    same line filed raw and organized counts once."""
    import hashlib
    import json

    from autoforge_learn.schema.parse import derive_event_id
    from autoforge_learn.store.organize import organize

    root = tmp_path / ".autoforge"
    bulk = _gates(root, "A", "2025-10")
    bulk.parent.mkdir(parents=True)
    # json.dumps spacing, a key order of its own: the id is of the text as written
    line = json.dumps({**FLAT_GATE, "project_id": "A"}).encode()
    bulk.write_bytes(line + b"\n")
    expected = "d-" + hashlib.md5(line + b"\n").hexdigest()
    assert derive_event_id(line) == derive_event_id(line + b"\r\n") == expected
    report = build_index(root, engine=engine)
    assert report.events == 1 and [r["event_id"] for r in _rows(root, engine)] == [expected]
    # the same line in a CRLF file (read line by line) and organized from elsewhere
    crlf = _gates(root, "B", "2025-10")
    crlf.write_bytes(line + b"\r\n")
    outside = tmp_path / "incoming.jsonl"
    outside.write_bytes(line + b"\n")
    filed = organize([outside], root=root)
    assert filed.already_present == 1 and filed.filed == 0
    report = build_index(root, engine=engine)
    assert report.events == 1 and report.duplicates == 1
    # two flat lines that differ only in a field kept in extra are two events
    other = json.dumps({**FLAT_GATE, "project_id": "A", "gate_result_reason": "other"})
    with open(bulk, "ab") as handle:
        handle.write(other.encode() + b"\n")
    assert build_index(root, engine=engine).events == 2


def test_values_of_the_wrong_json_type_are_judged_by_the_exact_parser(
    tmp_path: Path, engine: str | None
) -> None:
    """DuckDB converts loosely (5 -> '5', 3.7 -> 4); the index must not: such lines go to
    the exact parser, which rejects what the schema rejects and accepts what it accepts."""
    import json

    root = tmp_path / ".autoforge"
    path = _gates(root, "A", "2025-10")
    path.parent.mkdir(parents=True)
    lines = [
        {**FLAT_GATE, "project_id": "A"},  # 1: fine
        {**FLAT_GATE, "project_id": "A", "agent_role": 5},  # 2: a number for a string
        {**FLAT_GATE, "project_id": "A", "retry_attempt": 3.7},  # 3: not an integer
        {**FLAT_GATE, "project_id": "A", "retry_attempt": "2", "gate_id": "x"},  # 4: lax ok
        {**FLAT_GATE, "project_id": "A", "retry_attempt": 2**64},  # 5: out of range
    ]
    path.write_bytes(b"".join(json.dumps(o).encode() + b"\n" for o in lines) + b"[1, 2]\n")
    report = build_index(root, engine=engine)
    assert [i.line for i in report.issues] == [2, 3, 5, 6]
    assert "agent_role" in report.issues[0].reason
    rows = _rows(root, engine)
    assert sorted((r["gate_id"], r["retry_attempt"]) for r in rows) == [
        ("spec_complete", 1),
        ("x", 2),
    ]


def test_many_batches_and_odd_files_give_the_same_index(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files read in many small batches, with empty, blank-line, non-UTF-8 and CRLF files
    among them, give the rows one batch gives."""
    from autoforge_learn.analyze import bulkread

    def make(root: Path) -> None:
        for k in range(12):
            path = _gates(root, f"P{k}", "2025-10")
            path.parent.mkdir(parents=True, exist_ok=True)
            body = b"".join(
                orjson.dumps({**FLAT_GATE, "project_id": f"P{k}", "retry_attempt": i + 1}) + b"\n"
                for i in range(k)
            )
            if k == 3:
                body = b"\n\n" + body + b"\n"
            if k == 5:
                body = body.replace(b"\n", b"\r\n")
            if k == 7:
                body += b'{"project_id": "P7", "gate_id": "\xff"}\n'
            path.write_bytes(body)

    results = []
    for name, batch_bytes in (("one", 1 << 30), ("many", 300)):
        monkeypatch.setattr(bulkread, "BATCH_BYTES", batch_bytes)
        root = tmp_path / name / ".autoforge"
        make(root)
        report = build_index(root, engine=engine)
        rows = _rows(root, engine)
        results.append(
            (
                report.events,
                [(i.line, Path(i.path).name) for i in report.issues],
                [(r["event_id"], r["source_file"], r["retry_attempt"]) for r in rows],
            )
        )
    assert results[0] == results[1]
    events, issues, _rows_ = results[0]
    assert events == sum(range(12)) and issues == [(8, "project_P7_gates.jsonl")]


def test_payload_texts_stay_in_the_raw_files(tmp_path: Path, engine: str | None) -> None:
    from autoforge_learn.analyze.columns import PAYLOAD_KEYS

    root = tmp_path / ".autoforge"
    with Collector(root) as c:
        c.on_agent_stage_completion(
            project_id="A",
            stage_id="product",
            agent_role="product",
            prompt_template="You are ...",
            output_raw="PRD written",
            system_context={"constraints": ["x"]},
            platform_hint="web",
            timestamp=ts("2025-10-01"),
        )
    build_index(root, engine=engine)
    (row,) = _rows(root, engine)
    extra = row["extra"] if isinstance(row["extra"], dict) else orjson.loads(row["extra"] or "{}")
    assert not set(PAYLOAD_KEYS) & set(extra)


def test_a_file_removed_or_unreadable_while_indexing_is_not_fatal(
    root: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files listed, then gone or unreadable when read: the refresh completes, the gone
    file is not recorded, the unreadable one is reported and read again next time."""
    from autoforge_learn.analyze import ingest

    gone = _gates(root, "A", "2025-09")
    unreadable = _gates(root, "B", "2025-10")
    in_gone = len(gone.read_bytes().splitlines())
    content = unreadable.read_bytes()
    listed = ingest.raw_files

    def list_then_change(raw: Path):  # type: ignore[no-untyped-def]
        files = listed(raw)
        gone.unlink()
        unreadable.unlink()
        unreadable.mkdir()  # reading it now fails (even as root, unlike a chmod)
        return files

    monkeypatch.setattr(ingest, "raw_files", list_then_change)
    report = build_index(root, engine=engine)
    assert [(Path(i.path).name, i.line) for i in report.issues] == [(unreadable.name, 0)]
    assert "unreadable file" in report.issues[0].reason
    monkeypatch.setattr(ingest, "raw_files", listed)
    unreadable.rmdir()
    unreadable.write_bytes(content)
    again = build_index(root, engine=engine)
    assert not again.issues and again.events == 23 - in_gone


def test_appends_to_several_files_load_together_and_keep_their_files(
    root: Path, engine: str | None
) -> None:
    build_index(root, engine=engine)
    a, b = _gates(root, "A", "2025-09"), _gates(root, "B", "2025-10")
    lines_in = {p: len(p.read_bytes().splitlines()) for p in (a, b)}
    with open(a, "ab") as handle:
        handle.write(orjson.dumps({**FLAT_GATE, "project_id": "A", "gate_id": "ga"}) + b"\n")
    with open(b, "ab") as handle:
        handle.write(b"not json\n")
        handle.write(orjson.dumps({**FLAT_GATE, "gate_id": "gb"}) + b"\n")
    report = build_index(root, engine=engine)
    assert report.events_added == 2
    assert [(Path(i.path).name, i.line) for i in report.new_issues] == [(b.name, lines_in[b] + 1)]
    rows = {r["gate_id"]: r["source_file"] for r in _rows(root, engine)}
    assert rows["ga"].endswith(a.name) and rows["gb"].endswith(b.name)


def test_lines_the_index_cannot_load_are_reported_on_their_own_file(
    root: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the SQL fails on lines the exact parser accepted, every such line is reported
    on its own file, and the refresh goes on."""
    from autoforge_learn.analyze import sqlparse

    build_index(root, engine=engine)
    a, b = _gates(root, "A", "2025-09"), _gates(root, "B", "2025-10")
    for path, project in ((a, "A"), (b, "B")):
        with open(path, "ab") as handle:
            handle.write(orjson.dumps({**FLAT_GATE, "project_id": project}) + b"\n")
    monkeypatch.setattr(sqlparse, "read_json_source", lambda *a, **k: "no_such_table")
    report = build_index(root, engine=engine)
    assert sorted(Path(i.path).name for i in report.new_issues) == sorted([a.name, b.name])
    assert all("unreadable by the index" in i.reason for i in report.new_issues)
    assert report.events_added == 0


def test_bulk_file_facts_match_a_plain_count() -> None:
    """Line and non-blank counts of files read in one batch (empty files, blank lines,
    files of one empty line among them) equal counting each file on its own."""
    import random

    from autoforge_learn.analyze.bulkread import _batch, range_hash

    rnd = random.Random(1)
    for _trial in range(200):
        files = []
        for k in range(rnd.randrange(1, 8)):
            lines = [b"x" * rnd.randrange(0, 5) for _ in range(rnd.randrange(0, 6))]
            files.append((f"f{k}", b"".join(line + b"\n" for line in lines)))
        expected = {
            rel: (
                data.count(b"\n"),
                sum(1 for line in data.split(b"\n")[:-1] if line),
                range_hash(data[:4096]),
                range_hash(data[-4096:]),
            )
            for rel, data in files
        }
        batch = _batch(list(files), [])
        got = {
            rel: (f.lines, f.nonblank, f.head_hash, f.tail_hash) for rel, f in batch.facts.items()
        }
        assert got == expected
        assert batch.rows == sum(n for n, *_ in expected.values())


def test_progress_reports_bytes_read_up_to_the_total(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bulk batches, files read line by line and appended tails all count, each once; the
    last call is (total, total) and total is the bytes the refresh read."""
    from autoforge_learn.analyze import bulkread

    monkeypatch.setattr(bulkread, "BATCH_BYTES", 2000)
    root = tmp_path / ".autoforge"
    for k in range(8):
        path = _gates(root, f"P{k}", "2025-10")
        path.parent.mkdir(parents=True, exist_ok=True)
        body = b"".join(
            orjson.dumps({**FLAT_GATE, "project_id": f"P{k}", "retry_attempt": i + 1}) + b"\n"
            for i in range(k + 1)
        )
        if k == 2:
            body = body.replace(b"\n", b"\r\n")  # read line by line
        if k == 4:
            body += b'{"project_id": "P4", "gate_id": 5}\n'  # bulk, then line by line
        path.write_bytes(body)

    def run() -> tuple[list[tuple[int, int]], int]:
        calls: list[tuple[int, int]] = []
        report = build_index(root, engine=engine, progress=lambda d, t: calls.append((d, t)))
        return calls, report.bytes_read

    calls, read = run()
    assert calls[0] == (0, read) and calls[-1] == (read, read) and len(calls) > 3
    assert all(t == read for _d, t in calls)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)
    assert run()[0] == []  # nothing changed: nothing read, no calls
    with open(_gates(root, "P1", "2025-10"), "ab") as handle:
        handle.write(orjson.dumps({**FLAT_GATE, "project_id": "P1"}) + b"\n")
    calls, read = run()
    assert calls == [(0, read), (read, read)] and read > 0


def _validate_problems(root: Path) -> list[tuple[str, int, str]]:
    from autoforge_learn.store.validate import validate_files

    summary = validate_files(StoreLayout(root).raw_files())
    return sorted(
        (Path(p.path).name, p.lineno, f"{p.field}: {p.message}") for p in summary.problems
    )


def _index_issues(report) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    return sorted((Path(i.path).name, i.line, i.reason) for i in report.issues)


def _stage_line(event_id: str, output: str, project: str = "A") -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "kind": "stage_execution",
            "project_id": project,
            "timestamp": "2025-10-02T10:00:00Z",
            "stage_id": "engineering",
            "agent_role": "engineer",
            "output_raw": output,
        }
    )


def test_conflicting_copies_of_an_id_are_issues_as_in_validate(
    tmp_path: Path, engine: str | None
) -> None:
    """Same id, other content: the later line is an issue in the index as in validate,
    whether the copies differ in an indexed field or only in a payload text the index
    does not keep; an exact repeat is a duplicate, not an issue."""
    root = tmp_path / ".autoforge"
    first = _gates(root, "A", "2025-09")
    first.parent.mkdir(parents=True)
    gate = {**FLAT_GATE, "event_id": "g-1", "project_id": "A"}
    first.write_bytes(orjson.dumps(gate) + b"\n" + _stage_line("s-1", "one") + b"\n")
    later = StoreLayout(root).raw_file("A", "2025-10", "execution")
    later.parent.mkdir(parents=True)
    later.write_bytes(
        orjson.dumps({**gate, "gate_result": "pass"})  # an indexed field differs
        + b"\n"
        + _stage_line("s-1", "two")  # only the unkept output text differs
        + b"\n"
        + orjson.dumps(gate)  # an exact repeat
        + b"\n"
    )
    report = build_index(root, engine=engine)
    expected = _validate_problems(root)
    assert [(name, line) for name, line, _r in expected] == [
        ("project_A_execution.jsonl", 1),
        ("project_A_execution.jsonl", 2),
    ]
    assert _index_issues(report) == expected
    assert report.events == 2 and report.duplicates == 3
    # a refresh that reads nothing keeps them; a rebuild finds them again
    assert _index_issues(build_index(root, engine=engine)) == expected
    assert _index_issues(build_index(root, engine=engine, rebuild=True)) == expected


def test_conflicts_found_by_later_refreshes_follow_the_file_order(
    tmp_path: Path, engine: str | None
) -> None:
    """A conflicting copy appended later, and a copy in an earlier month added after the
    counted one: the first copy in file order counts and the others are issues, as in
    validate and as a rebuild has it."""
    root = tmp_path / ".autoforge"
    october = _gates(root, "A", "2025-10")
    october.parent.mkdir(parents=True)
    gate = {**FLAT_GATE, "event_id": "g-1", "project_id": "A"}
    october.write_bytes(orjson.dumps(gate) + b"\n")
    assert not build_index(root, engine=engine).issues
    with open(october, "ab") as handle:  # an appended tail, read line by line
        handle.write(orjson.dumps({**gate, "retry_attempt": 2}) + b"\n")
    report = build_index(root, engine=engine)
    assert _index_issues(report) == _validate_problems(root)
    assert [i.line for i in report.issues] == [2]
    september = _gates(root, "A", "2025-09")
    september.parent.mkdir(parents=True)
    september.write_bytes(orjson.dumps({**gate, "retry_attempt": 3}) + b"\n")
    report = build_index(root, engine=engine)
    expected = _validate_problems(root)
    assert [(name, line) for name, line, _r in expected] == [
        ("project_A_gates.jsonl", 1),
        ("project_A_gates.jsonl", 2),
    ]
    assert _index_issues(report) == expected
    assert [r["retry_attempt"] for r in _rows(root, engine)] == [3]
    rebuilt = build_index(root, engine=engine, rebuild=True)
    assert _index_issues(rebuilt) == expected
    assert [r["retry_attempt"] for r in _rows(root, engine)] == [3]


def test_sliced_files_and_long_lines_give_the_rows_of_a_whole_read(
    tmp_path: Path, engine: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files larger than a batch are read in slices; a file a later slice of which the
    bulk load cannot take (a carriage return, a line longer than LONG_LINE, an invalid
    line) goes to the line reader with no row of its earlier slices left behind; an
    appended tail larger than the line reader's slice and pending budget is loaded in
    parts. Rows and issues equal those of a read with no limits."""
    from autoforge_learn.analyze import bulkread, loader

    def make(root: Path) -> Path:
        for k in range(5):
            path = _gates(root, f"P{k}", "2025-10")
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [
                orjson.dumps({**FLAT_GATE, "project_id": f"P{k}", "retry_attempt": i + 1})
                for i in range(40)
            ]
            if k == 1:
                pad = b'"padding":"' + b"x" * 3000 + b'","stage"'
                lines[30] = lines[30].replace(b'"stage"', pad)
            if k == 2:
                lines[35] += b"\r"
            if k == 3:
                lines[33] = b'{"project_id": "P3", "gate_id": 5}'
            path.write_bytes(b"\n".join(lines) + b"\n")
        return _gates(root, "P4", "2025-10")

    results = []
    for name, limits in (("whole", False), ("sliced", True)):
        if limits:
            monkeypatch.setattr(bulkread, "BATCH_BYTES", 1000)
            monkeypatch.setattr(bulkread, "LONG_LINE", 2000)
            monkeypatch.setattr(loader, "READ_BYTES", 700)
            monkeypatch.setattr(loader, "PENDING_BYTES", 900)
        root = tmp_path / name / ".autoforge"
        appended = make(root)
        first = build_index(root, engine=engine)
        with open(appended, "ab") as handle:
            handle.write(
                b"".join(
                    orjson.dumps({**FLAT_GATE, "project_id": "P4", "retry_attempt": 100 + i})
                    + b"\n"
                    for i in range(30)
                )
                + b'{"torn'
            )
        second = build_index(root, engine=engine)
        rows = [(r["event_id"], r["source_file"], r["retry_attempt"]) for r in _rows(root, engine)]
        results.append(
            (first.events, _index_issues(first), second.events, _index_issues(second), rows)
        )
        assert first.duplicates == second.duplicates == 0
    assert results[0] == results[1]
    events, issues, after, issues_after, _rows_ = results[1]
    assert events == 5 * 40 - 1 and after == events + 30
    assert [(n, line) for n, line, _r in issues] == [("project_P3_gates.jsonl", 34)]
    assert [(n, line) for n, line, _r in issues_after] == [
        ("project_P3_gates.jsonl", 34),
        ("project_P4_gates.jsonl", 71),
    ]


def test_running_out_of_memory_is_a_message_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autoforge_learn.analyze import loader
    from autoforge_learn.errors import EngineError

    root = tmp_path / ".autoforge"
    path = StoreLayout(root).raw_file("A", "2025-10", "execution")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(_stage_line(f"s-{i}", "x" * 50_000) + b"\n" for i in range(200)))
    monkeypatch.setattr(loader, "MEMORY_LIMIT", "1MB")
    with pytest.raises(EngineError, match="ran out of memory.*AUTOFORGE_INDEX_MEMORY"):
        build_index(root)
    monkeypatch.undo()
    assert build_index(root).events == 200


def test_a_refresh_writes_its_log_into_the_index_file_while_reads_go_on(tmp_path: Path) -> None:
    """DuckDB logs a refresh's changes (``index.duckdb.wal``) and writes them into the
    file at a checkpoint; the workspace runs it in a thread while the caller reads on,
    instead of at the close."""
    from autoforge_learn.sim import simulate

    root = tmp_path / ".autoforge"
    simulate(root, projects=6, seed=2)
    wal = root / "index.duckdb.wal"
    ws = Workspace(root)
    report = ws.refresh()
    checkpoint = ws._checkpoint
    assert checkpoint is not None  # the refresh left its changes in the log
    read = ws.connection().execute("SELECT count(*) FROM events").fetchone()[0]
    checkpoint.join()
    assert read == report.events > 0
    assert not wal.exists()
    ws.refresh(rebuild=False)  # nothing new: nothing logged, no checkpoint
    assert ws._checkpoint is None
    ws.close()
    with Workspace(root) as again:
        assert again.connection().execute("SELECT count(*) FROM events").fetchone()[0] == read
