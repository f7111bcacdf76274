"""Every command that reads raw events reads them through the one reader, and they agree."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

import autoforge_learn.export.raw as export_raw
import autoforge_learn.review.data as review_data
import autoforge_learn.schema.parse as schema_parse
from autoforge_learn import Collector
from autoforge_learn.export import export_events
from autoforge_learn.recompute import recompute
from autoforge_learn.review import load_review_data
from autoforge_learn.store import StoreLayout
from autoforge_learn.store.organize import organize
from autoforge_learn.store.overview import store_overview
from autoforge_learn.store.validate import TORN_LINE, validate_files
from autoforge_learn.workspace import Workspace
from tests.samples import SPEC_EXAMPLE_LINE


def _problem_store(root: Path) -> Path:
    """A completed project, then lines of every kind of trouble appended by hand."""
    moments = iter(datetime(2025, 10, 1, h, tzinfo=UTC) for h in range(1, 24))
    c = Collector(root, clock=lambda: next(moments))
    with c.project(project_id="P1", recipe="web_app_v1") as p:
        with p.stage(stage_id="engineering", agent_role="engineer") as s:
            s.gate(gate_id="tests_pass", validation_result="fail", validation_reason="red")
            s.add_usage(input_tokens=100, output_tokens=50, total_cost=0.5)
        p.tests(tests_executed=10, tests_passed=9)
        p.complete(project_success="shipped")
    c.close()
    layout = StoreLayout(root)
    gates = next(p for p in layout.raw_files() if p.name.endswith("_gates.jsonl"))
    (gate_line,) = gates.read_bytes().splitlines()
    gate = orjson.loads(gate_line)
    with open(gates, "ab") as handle:
        handle.write(gate_line + b"\n")  # exact duplicate
        handle.write(orjson.dumps({**gate, "validation_reason": "green"}) + b"\n")  # conflict
        handle.write(b"\n{not json\n")
        handle.write(orjson.dumps({**gate, "event_id": "x1", "gate_id": ""}) + b"\n")
        handle.write(orjson.dumps({**SPEC_EXAMPLE_LINE, "project_id": "P1"}) + b"\n")
    # A later month: an exact repeat of the gate check from another file, a torn line.
    other = layout.raw / "2025-11" / "project_P2_gates.jsonl"
    other.parent.mkdir(parents=True)
    other.write_bytes(gate_line + b"\n" + gate_line[:20])
    return root


@pytest.fixture
def store(af_root: Path) -> Path:
    return _problem_store(af_root)


def test_validate_overview_recompute_export_and_review_agree(store, tmp_path):
    layout = StoreLayout(store)
    validated = validate_files(layout.raw_files())
    overview = store_overview(store)
    recomputed = recompute(store)
    exported, export_report = export_raw.read_events(store)
    reviewed, bad_lines = review_data.read_events(store)
    with Workspace(store) as ws:
        written = export_events(ws, tmp_path / "out.jsonl")

    assert sorted((p.path.name, p.field) for p in validated.problems) == [
        ("project_P1_gates.jsonl", "(line)"),
        ("project_P1_gates.jsonl", "event_id"),
        ("project_P1_gates.jsonl", "gate_id"),
        ("project_P2_gates.jsonl", "(line)"),
    ]
    assert validated.problems[-1].message == TORN_LINE
    assert (validated.invalid_lines, validated.duplicates) == (4, 2)
    # The same problems, the same invalid and duplicate counts, everywhere.
    assert recomputed.invalid_lines == validated.problems
    assert export_report.problems == written.problems == validated.problems
    assert (
        overview.invalid_lines
        == export_report.skipped_invalid
        == bad_lines
        == load_review_data(store).bad_lines
        == validated.invalid_lines
    )
    assert export_report.skipped_duplicates == validated.duplicates
    # The same valid events.
    ids = sorted(e.event_id for e in exported)
    assert len(ids) == validated.valid == overview.total_events == written.events
    assert sorted(e.event_id for e in reviewed) == ids
    assert overview.events == validated.kinds == written.kinds
    assert [p.project_id for p in recomputed.projects] == ["P1"]
    # The flat spec line counts as a gate check of its role; the conflict does not.
    assert overview.gates_by_role == {"architect": (0, 1), "engineer": (0, 1)}


@pytest.fixture
def parsed(monkeypatch) -> list[bytes | str | None]:
    """Records the line of every call to parse_event, however a module imported it."""
    original = schema_parse.parse_event
    calls: list[bytes | str | None] = []

    def spy(obj, *, text=None):
        calls.append(text)
        return original(obj, text=text)

    for name, module in list(sys.modules.items()):
        if name.startswith("autoforge_learn") and getattr(module, "parse_event", None) is original:
            monkeypatch.setattr(module, "parse_event", spy)
    return calls


def _decodable_lines(files: list[Path]) -> list[bytes]:
    """The lines that decode as JSON: each must be validated once, and only once."""
    out = []
    for path in files:
        for raw in path.read_bytes().splitlines(keepends=True):
            data = raw.rstrip(b"\r\n")
            if not raw.endswith(b"\n") or not data.strip():
                continue
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            out.append(data)
    return out


def _export(root: Path, out: Path) -> object:
    with Workspace(root) as ws:
        return export_events(ws, out)


CALLERS: dict[str, Callable[[Path, Path], object]] = {
    "validate": lambda root, tmp: validate_files(StoreLayout(root).raw_files()),
    "overview": lambda root, tmp: store_overview(root),
    "recompute": lambda root, tmp: recompute(root),
    "export": lambda root, tmp: _export(root, tmp / "out.csv"),
    "review": lambda root, tmp: load_review_data(root),
    "organize": lambda root, tmp: organize([StoreLayout(root).raw], root=tmp / ".af"),
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_each_caller_parses_each_line_once(store, tmp_path, parsed, caller):
    lines = _decodable_lines(StoreLayout(store).raw_files())
    assert len(lines) == 10  # the fixture's lines that are JSON, duplicates included
    CALLERS[caller](store, tmp_path)
    # Each line once: a second parse (of the line, or of a dumped event) would show here.
    assert Counter(parsed) == Counter(lines)


def test_organize_reports_a_conflicting_repeat_and_files_the_user_bytes(store, tmp_path):
    target = tmp_path / "other" / ".autoforge"
    spaced = b'{ "project_id" : "P9",  "gate_id": "g", "gate_result": "pass",'
    spaced += b' "timestamp": "2025-10-02T10:00:00Z", "score": 1.50 }'
    source = tmp_path / "more.jsonl"
    source.write_bytes(spaced + b"\r\n")
    report = organize([StoreLayout(store).raw, source], root=target)
    # The conflicting repeat is a problem, no longer silently "already present".
    assert [p.field for p in report.problems if p.field == "event_id"] == ["event_id"]
    assert len(report.problems) == validate_files(StoreLayout(store).raw_files()).invalid_lines
    assert report.already_present == 2  # the exact repeats
    (p9,) = [p for p in StoreLayout(target).raw_files() if "P9" in p.name]
    filed = p9.read_bytes()
    added = b'"event_id":"' + _derived(spaced).encode() + b'","kind":"gate_evaluation",'
    assert filed == b"{" + added + b'"schema_version":"1.0",' + spaced[1:] + b"\n"
    again = validate_files(StoreLayout(target).raw_files())
    assert again.ok and again.valid == report.filed


def _derived(line: bytes) -> str:
    return schema_parse.derive_event_id(line)
