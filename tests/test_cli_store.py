from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn import Collector
from autoforge_learn.cli import app
from autoforge_learn.schema import parse_line
from autoforge_learn.schema.jsonschema import generate_json_schema
from autoforge_learn.store import StoreLayout
from autoforge_learn.store.validate import validate_files
from tests.samples import SPEC_EXAMPLE_LINE

runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_creates_the_layout_and_keeps_existing_config(af_root):
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    layout = StoreLayout(af_root)
    for path in (layout.raw, layout.labeled, layout.aggregated, layout.reports, layout.prompts):
        assert path.is_dir()
    layout.config_file.write_text("collect:\n  survey_sample_rate: 0.5\n")
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert "0.5" in layout.config_file.read_text()
    assert Collector().survey_sample_rate == 0.5


def test_validate_passes_on_good_data_and_reports_counts(af_root):
    c = Collector(af_root)
    c.on_gate_evaluation(project_id="P1", gate_id="g", validation_result="pass")
    c.on_gate_evaluation(project_id="P2", gate_id="g", validation_result="fail")
    c.on_project_completion(project_id="P1", project_success="shipped")
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["kinds"] == {"gate_evaluation": 2, "project_completed": 1}
    assert report["ok"] is True and report["invalid"] == 0


def test_validate_fails_with_file_and_line_on_a_corrupted_file(af_root):
    c = Collector(af_root)
    for i in range(3):
        c.on_gate_evaluation(
            project_id="P1", gate_id="g", validation_result="pass", retry_attempt=i + 1
        )
    (path,) = StoreLayout(af_root).raw_files()
    lines = path.read_bytes().splitlines(keepends=True)
    bad = orjson.loads(lines[1])
    bad["validation_result"] = "perhaps"
    lines[1] = orjson.dumps(bad) + b"\n"
    lines.append(b'{"truncated": tr')
    path.write_bytes(b"".join(lines))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: validation_result: Input should be" in result.stderr
    assert f"{path}:4: (line): incomplete last line" in result.stderr


def test_validate_reports_a_reused_event_id_with_different_content(tmp_path):
    a = dict(SPEC_EXAMPLE_LINE, event_id="same")
    b = dict(SPEC_EXAMPLE_LINE, event_id="same", retry_attempt=2)
    path = tmp_path / "x.jsonl"
    path.write_bytes(orjson.dumps(a) + b"\n" + orjson.dumps(a) + b"\n" + orjson.dumps(b) + b"\n")
    report = validate_files([path])
    assert report.valid == 1 and report.duplicates == 1
    assert [(p.lineno, p.field) for p in report.problems] == [(3, "event_id")]


def test_validate_missing_path_is_a_clear_error(af_root):
    result = runner.invoke(app, ["validate", "nope.jsonl"])
    assert result.exit_code == 1
    assert "nope.jsonl: no such file or directory" in result.stderr


def test_spec_example_line_validates_from_the_cli(tmp_path):
    path = tmp_path / "spec.jsonl"
    path.write_bytes(orjson.dumps(SPEC_EXAMPLE_LINE) + b"\n")
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["kinds"] == {"gate_evaluation": 1}


def _mixed_source(tmp_path: Path) -> Path:
    src = tmp_path / "logs"
    src.mkdir()
    c = Collector(tmp_path / "elsewhere" / ".autoforge")
    c.on_gate_evaluation(
        project_id="P2",
        gate_id="tests_pass",
        validation_result="pass",
        timestamp="2025-09-03T10:00:00Z",
    )
    c.on_human_approval(
        project_id="P2",
        decision_type="tech_stack",
        agent_recommendation="a",
        human_decision="b",
        timestamp="2025-09-03T11:00:00Z",
    )
    c.on_agent_stage_completion(
        project_id="P3", stage_id="qa", agent_role="qa", timestamp="2025-08-01T10:00:00Z"
    )
    lines = [orjson.dumps(SPEC_EXAMPLE_LINE)]
    for path in StoreLayout(tmp_path / "elsewhere" / ".autoforge").raw_files():
        lines.extend(path.read_bytes().splitlines())
    flat2 = copy.deepcopy(SPEC_EXAMPLE_LINE)
    flat2.update(gate_result="pass", retry_attempt=2, extra_field={"kept": True})
    lines.append(orjson.dumps(flat2))
    (src / "all.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (src / "nested").mkdir()
    (src / "nested" / "bad.jsonl").write_bytes(b'{"project_id": "P9", "kind": "escalation"}\n')
    return src


def test_organize_files_by_project_and_month_idempotently(af_root, tmp_path):
    src = _mixed_source(tmp_path)
    before = {p: _digest(p) for p in src.rglob("*.jsonl")}
    result = runner.invoke(app, ["organize", str(src), "--format", "json"])
    assert result.exit_code == 1  # the bad line is reported
    report = orjson.loads(result.stdout)
    assert report["filed"] == 5 and report["already_present"] == 0
    assert sorted((p["line"], p["field"]) for p in report["problems"]) == [
        (1, "reason"),
        (1, "timestamp"),
    ]
    assert all(p["file"].endswith("bad.jsonl") for p in report["problems"])
    # Sources are untouched.
    assert {p: _digest(p) for p in src.rglob("*.jsonl")} == before
    layout = StoreLayout(af_root)
    names = sorted(str(p.relative_to(layout.raw)) for p in layout.raw_files())
    assert names == [
        "2025-08/project_P3_execution.jsonl",
        "2025-09/project_P2_feedback.jsonl",
        "2025-09/project_P2_gates.jsonl",
        "2025-10/project_ABC123_gates.jsonl",
    ]
    flat = [
        orjson.loads(x)
        for x in (layout.raw / "2025-10/project_ABC123_gates.jsonl").read_bytes().splitlines()
    ]
    # The user's spelling is kept; only the envelope is added.
    assert flat[0]["gate_result"] == "fail" and "validation_result" not in flat[0]
    assert flat[0]["kind"] == "gate_evaluation" and flat[0]["event_id"].startswith("d-")
    assert flat[1]["extra_field"] == {"kept": True}
    assert validate_files(layout.raw_files()).ok
    snapshot = {p: _digest(p) for p in layout.raw_files()}
    again = runner.invoke(app, ["organize", str(src / "all.jsonl"), "--format", "json"])
    assert again.exit_code == 0, again.output
    assert orjson.loads(again.stdout)["filed"] == 0
    assert orjson.loads(again.stdout)["already_present"] == 5
    assert {p: _digest(p) for p in layout.raw_files()} == snapshot


def test_organize_dry_run_writes_nothing(af_root, tmp_path):
    src = _mixed_source(tmp_path)
    result = runner.invoke(app, ["organize", str(src / "all.jsonl"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would file 5 events" in result.stdout
    assert not StoreLayout(af_root).raw_files()


def test_organized_events_equal_the_originals(af_root, tmp_path):
    src = _mixed_source(tmp_path)
    runner.invoke(app, ["organize", str(src / "all.jsonl")])
    original = sorted(
        parse_line(x).model_dump_json() for x in (src / "all.jsonl").read_bytes().splitlines()
    )
    stored = sorted(
        parse_line(x).model_dump_json()
        for p in StoreLayout(af_root).raw_files()
        for x in p.read_bytes().splitlines()
    )
    assert stored == original


def test_schema_command_prints_the_generated_schema(tmp_path):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert orjson.loads(result.stdout) == orjson.loads(orjson.dumps(generate_json_schema()))
    out = tmp_path / "s.json"
    assert runner.invoke(app, ["schema", "-o", str(out)]).exit_code == 0
    assert orjson.loads(out.read_bytes())["title"] == "AutoForge Learn training event"


def test_version_and_module_entry_point():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("autoforge-learn ")


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--help"]])
def test_help_renders(argv):
    assert runner.invoke(app, argv).exit_code == 0
