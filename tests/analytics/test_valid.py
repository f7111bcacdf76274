"""The index accepts a line iff ``autoforge validate`` (the exact parser) does, with the
same meaning, whichever way the line is read: in a new file (bulk SQL), appended to an
indexed file (line by line) or after ``--rebuild`` (bulk again). Issue 10."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoforge_learn.analyze.report import IndexReport
from autoforge_learn.schema.parse import EventError, parse_line
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.workspace import Workspace
from tests.helpers import build_index, metric_values

from .modelcases import broken_events, event_lines, write_line_files

STARTED = {
    "kind": "project_started",
    "project_id": "A",
    "timestamp": "2025-10-01T08:00:00Z",
    "created_at": "2025-10-01T08:00:00Z",
    "recipe": "saas_app_v1",
}
STAGE = (
    b'{"kind": "stage_execution", "project_id": "A", "timestamp": "2025-10-01T09:00:00Z", '
    b'"stage_id": "engineering", "agent_role": "engineer", "total_cost": %s}'
)
GATE = (
    b'{"kind": "gate_evaluation", "project_id": "A", "timestamp": "2025-10-01T10:00:00Z", '
    b'"gate_id": "tests_pass", %s}'
)


def _started(**changes: Any) -> bytes:
    event = {**STARTED, **changes}
    return orjson.dumps({k: v for k, v in event.items() if v is not None})


@dataclass(frozen=True)
class Case:
    """A line, its file group, and the index's column that shows its meaning."""

    line: bytes
    group: str


CASES = {
    "created_at_missing": Case(_started(created_at=None), "execution"),
    "team_size_negative": Case(_started(team_size=-3), "execution"),
    "autonomy_level_7": Case(_started(autonomy_level_used=7), "execution"),
    "nan_cost": Case(STAGE % b"NaN", "execution"),
    "infinity_cost": Case(STAGE % b"Infinity", "execution"),
    "minus_infinity_cost": Case(STAGE % b"-Infinity", "execution"),
    "overflowing_cost": Case(STAGE % b"1e400", "execution"),
    "trailing_comma": Case(GATE % b'"validation_result": "pass",', "gates"),
    "trailing_comma_in_list": Case(GATE % b'"validation_result": "pass", "x": [1, ]', "gates"),
    "nan_in_unknown_key": Case(GATE % b'"validation_result": "pass", "x": nan', "gates"),
    "deep_nesting": Case(
        GATE % (b'"validation_result": "pass", "x": ' + b"[" * 1100 + b"]" * 1100), "gates"
    ),
    "aliases_disagree": Case(
        GATE % b'"validation_result": "pass", "validation_reason": "a", "gate_result_reason": "b"',
        "gates",
    ),
    "alias_null_against_a_value": Case(
        GATE % b'"gate_result": "pass", "validation_result": null', "gates"
    ),
    # the timestamp is year 10000 / year 0 in UTC: the model used to raise OverflowError
    "timestamp_beyond_9999_in_utc": Case(
        GATE.replace(b"2025-10-01T10:00:00Z", b"9999-12-31T23:59:59-12:00")
        % b'"validation_result": "pass"',
        "gates",
    ),
    "timestamp_before_year_1_in_utc": Case(
        GATE.replace(b"2025-10-01T10:00:00Z", b"0001-01-01T00:00:00+01:00")
        % b'"validation_result": "pass"',
        "gates",
    ),
    "created_at_beyond_9999_in_utc": Case(
        _started(created_at="9999-12-31T23:00:00-12:00"), "execution"
    ),
    "end_before_start": Case(
        b'{"kind": "stage_execution", "project_id": "A", "timestamp": "2025-10-01T09:00:00Z", '
        b'"stage_id": "qa", "agent_role": "qa", "timestamp_start": "2025-10-01T09:00:00Z", '
        b'"timestamp_end": "2025-10-01T08:00:00Z"}',
        "execution",
    ),
}


def _index(root: Path, engine: str | None, case: Case, path: str) -> IndexReport:
    """Index a file of a valid line and ``case``'s line by way of ``path``."""
    raw = StoreLayout(root).raw_file("A", "2025-10", case.group)
    raw.parent.mkdir(parents=True, exist_ok=True)
    good = GATE % b'"validation_result": "fail"'
    if case.group == "execution":
        good = _started(event_id="good")
    if path == "new":
        raw.write_bytes(good + b"\n" + case.line + b"\n")
        return build_index(root, engine=engine)
    raw.write_bytes(good + b"\n")
    build_index(root, engine=engine)
    with open(raw, "ab") as handle:
        handle.write(case.line + b"\n")
    report = build_index(root, engine=engine)
    if path == "rebuild":
        report = build_index(root, engine=engine, rebuild=True)
    return report


def _rows(root: Path, engine: str | None) -> list[dict[str, Any]]:
    with Workspace(root, engine=engine) as ws:
        return ws.backend().table("events").order_by("ts").to_pyarrow().to_pylist()


PATHS = ("new", "append", "rebuild")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_line_validate_rejects_is_rejected_on_every_path(
    tmp_path: Path, engine: str | None, name: str, path: str
) -> None:
    case = CASES[name]
    with pytest.raises(EventError):
        parse_line(case.line)  # what `autoforge validate` says
    root = tmp_path / ".autoforge"
    report = _index(root, engine, case, path)
    assert [i.line for i in report.issues] == [2], report.issues
    assert report.events == 1
    assert "not valid JSON" in report.issues[0].reason or ":" in report.issues[0].reason


@pytest.mark.parametrize("path", PATHS)
def test_a_duplicate_key_means_its_last_value_on_every_path(
    tmp_path: Path, engine: str | None, path: str
) -> None:
    """orjson keeps the last of a key written twice; so does the index."""
    line = GATE % b'"validation_result": "pass", "validation_result": "fail", "gate_id": "x"'
    assert parse_line(line).validation_result == "fail"
    root = tmp_path / ".autoforge"
    report = _index(root, engine, Case(line, "gates"), path)
    assert not report.issues and report.events == 2
    assert [r["validation_result"] for r in _rows(root, engine)] == ["fail", "fail"]
    assert metric_values(root, "gate_failure_rate", engine=engine)[0]["value"] == 1.0


def test_a_nan_cost_does_not_make_the_cost_per_project_zero(
    tmp_path: Path, engine: str | None
) -> None:
    root = tmp_path / ".autoforge"
    raw = StoreLayout(root).raw_file("A", "2025-10", "execution")
    raw.parent.mkdir(parents=True)
    raw.write_bytes(STAGE % b"0.5" + b"\n" + STAGE.replace(b"09:00", b"09:30") % b"NaN" + b"\n")
    report = build_index(root, engine=engine)
    assert [i.line for i in report.issues] == [2]
    (row,) = metric_values(root, "cost_per_project", engine=engine)
    assert row["value"] == pytest.approx(0.5)


@pytest.mark.parametrize("path", PATHS)
def test_derived_fields_mean_what_the_parser_derives(
    tmp_path: Path, engine: str | None, path: str
) -> None:
    """A model validator's derived value (duration from the two timestamps) is the same
    in bulk and line by line."""
    line = (
        b'{"kind": "stage_execution", "project_id": "A", "timestamp": "2025-10-01T09:00:00Z", '
        b'"stage_id": "qa", "agent_role": "qa", "timestamp_start": "2025-10-01T09:00:00.25Z", '
        b'"timestamp_end": "2025-10-01T11:00:01+02:00"}'
    )
    expected = parse_line(line).duration_seconds
    root = tmp_path / ".autoforge"
    report = _index(root, engine, Case(line, "execution"), path)
    assert not report.issues
    (row,) = [r for r in _rows(root, engine) if r["kind"] == "stage_execution"]
    assert row["duration_seconds"] == expected == 0.75


def _broken_store(root: Path, crlf: bool = False) -> tuple[list[str], list[Path]]:
    cases = list(broken_events())
    lines = [orjson.dumps(event) for _cid, event in cases]
    kinds = [event["kind"] for _cid, event in cases]
    return [cid for cid, _e in cases], write_line_files(root, lines, kinds, crlf=crlf)


def _issues_by_file(report: IndexReport) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for issue in report.issues:
        out.setdefault(Path(issue.path).name, []).append(issue.line)
    return out


@pytest.mark.parametrize("path", PATHS)
def test_every_rule_of_every_model_is_checked_by_the_bulk_reader(
    tmp_path: Path, engine: str | None, path: str
) -> None:
    """For every kind and every constrained field, a line breaking it (generated from the
    models) is rejected: alone in its file with a valid line, so that the bulk reader's
    SQL, not the whole-file fallback to the exact parser, has to find it."""
    root = tmp_path / ".autoforge"
    ids, files = _broken_store(root)
    if path != "new":  # index the valid lines, then append the broken ones
        contents = [f.read_bytes() for f in files]
        for f, data in zip(files, contents, strict=True):
            f.write_bytes(data.split(b"\n")[0] + b"\n")
        build_index(root, engine=engine)
        for f, data in zip(files, contents, strict=True):
            f.write_bytes(data)
    report = build_index(root, engine=engine)
    if path == "rebuild":
        report = build_index(root, engine=engine, rebuild=True)
    issues = _issues_by_file(report)
    missed = [cid for cid, f in zip(ids, files, strict=True) if issues.get(f.name) != [2]]
    assert missed == []
    assert report.events == len(files)


def _accepted_by_parser(line: bytes) -> bool:
    try:
        parse_line(line)
    except EventError:
        return False
    return True


def _store_rows(root: Path, engine: str | None) -> dict[str, tuple[Any, ...]]:
    """file -> the typed columns of its rows (not the file, the id or extra)."""
    from autoforge_learn.analyze.columns import EVENT_COLUMNS

    cols = [c for c in EVENT_COLUMNS if c not in ("source_file", "event_id", "extra")]
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in _rows(root, engine):
        name = Path(row["source_file"]).name
        out.setdefault(name, []).append(tuple(row[c] for c in cols))
    return {k: tuple(sorted(v, key=repr)) for k, v in out.items()}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(event_lines(), min_size=1, max_size=8))
def test_the_bulk_index_accepts_a_line_iff_the_exact_parser_does(
    tmp_path_factory: pytest.TempPathFactory, engine: str | None, lines: list[tuple[str, bytes]]
) -> None:
    """Random lines built from the models, mutated at random, each in a file of its own
    after a valid line: the bulk index (new file, rebuild) and the line path (append)
    take exactly the lines the parser takes, with the rows of the exact path (a CRLF
    file is read line by line: the truth)."""
    kinds, texts = [k for k, _t in lines], [t for _k, t in lines]
    truth_root = tmp_path_factory.mktemp("truth") / ".autoforge"
    truth_files = write_line_files(truth_root, texts, kinds, crlf=True)
    truth_issues = _issues_by_file(build_index(truth_root))
    truth = _store_rows(truth_root, None)
    accepted = [truth_issues.get(f.name) != [2] for f in truth_files]
    # the exact path takes what the parser takes (an integer beyond 64 bits included:
    # the schema refuses it, as the index cannot hold it)
    assert accepted == [_accepted_by_parser(t) for t in texts]
    root = tmp_path_factory.mktemp("bulk") / ".autoforge"
    files = write_line_files(root, texts, kinds)
    for step in ("new", "rebuild", "append"):
        if step == "append":
            for f in files:
                first, rest = f.read_bytes().split(b"\n", 1)
                f.write_bytes(first + b"\n")
            build_index(root, engine=engine)
            for f, t in zip(files, texts, strict=True):
                with open(f, "ab") as handle:
                    handle.write(t + b"\n")
        report = build_index(root, engine=engine, rebuild=step != "append")
        issues = _issues_by_file(report)
        got = [issues.get(f.name) != [2] for f in files]
        assert got == accepted, (
            step,
            [t for t, a, g in zip(texts, accepted, got, strict=True) if a != g],
        )
        assert _store_rows(root, engine) == truth, step
    assert [f.name for f in truth_files] == [f.name for f in files]


def test_every_field_has_a_rule_and_every_model_validator_a_counterpart() -> None:
    """Nothing of today's models is left to the exact parser wholesale (which would be
    right, but slow): every field has a rule the SQL expresses, every model validator
    an SQL counterpart."""
    from autoforge_learn.analyze.columns import KINDS
    from autoforge_learn.analyze.rules import kind_rules, model_validators
    from autoforge_learn.analyze.sqlchecks import MODEL_VALIDATOR_SQL

    assert [(k, f) for k in KINDS for f, r in kind_rules(k).items() if not r.json_types] == []
    assert {n for names in model_validators().values() for n in names} <= set(MODEL_VALIDATOR_SQL)


def _clear_rule_caches() -> None:
    from autoforge_learn.analyze import rules, sqlchecks, sqlparse

    for cached in (
        rules.kind_rules,
        rules.alias_rules,
        rules.custom_fields,
        rules.model_validators,
        rules._probe_kinds,
        sqlchecks.distinct_checked,
        sqlparse.key_type,
    ):
        cached.cache_clear()


def test_a_field_added_to_a_model_is_checked_by_the_index_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import Field

    from autoforge_learn.schema.events import EVENT_MODELS, ProjectStarted

    class WithCrew(ProjectStarted):
        crew: int = Field(default=1, ge=5)

    monkeypatch.setitem(EVENT_MODELS, "project_started", WithCrew)  # type: ignore[arg-type]
    _clear_rule_caches()
    try:
        root = tmp_path / ".autoforge"
        case = Case(_started(crew=3), "execution")
        report = _index(root, None, case, "new")
        assert [i.line for i in report.issues] == [2] and "crew" in report.issues[0].reason
    finally:
        monkeypatch.undo()
        _clear_rule_caches()
