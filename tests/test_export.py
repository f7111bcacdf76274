"""`autoforge export`: raw events to Parquet, CSV and JSONL."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn import Collector
from autoforge_learn.cli import app
from autoforge_learn.errors import UsageError
from autoforge_learn.export import export_events
from autoforge_learn.importers.chatdev import import_chatdev
from autoforge_learn.schema import parse_line
from autoforge_learn.store import StoreLayout
from tests.conftest import chatdev_logs

runner = CliRunner()


def _fill(root: Path) -> None:
    """A store with ChatDev runs and hand-made events with nested and extra fields."""
    logs = chatdev_logs()
    report = import_chatdev(
        [
            logs / "Gomoku_HumanAgentInteraction_20230920135038",
            logs / "FlappyBird_THUNLP_20230726121145",
        ],
        root=root,
    )
    assert report.ok
    moments = iter(datetime(2025, 10, d, 12, tzinfo=UTC) for d in range(1, 29))
    c = Collector(root, clock=lambda: next(moments))
    with c.project(project_id="P1", recipe="gis_investment_v1", team_size=3) as p:
        with p.stage(
            stage_id="architecture",
            agent_role="architect",
            system_context={"constraints": ["no vendor lock-in"], "note": "extra"},
            custom_score=0.5,
        ) as s:
            s.gate(gate_id="api_contract_present", validation_result="fail", validation_reason="x")
            s.add_usage(input_tokens=10, output_tokens=5, total_cost=0.01)
        p.approval(
            decision_type="tech_stack",
            agent_recommendation="postgres",
            human_decision="sqlite",
            options_offered=["postgres", "sqlite"],
        )
        p.complete(project_success="shipped", quality_score=80)
    c.close()


def _parsed(root: Path) -> dict[str, dict]:
    events = {}
    for path in StoreLayout(root).raw_files():
        for line in path.read_bytes().splitlines():
            event = parse_line(line)
            events[event.event_id] = event.model_dump(mode="json")
    return events


@pytest.fixture
def store(af_root: Path) -> Path:
    _fill(af_root)
    return af_root


def test_jsonl_round_trip_through_organize_gives_identical_events(store, tmp_path, open_ws):
    out = tmp_path / "events.jsonl"
    report = export_events(open_ws(store), out, fmt="jsonl")
    original = _parsed(store)
    assert report.events == len(original) > 40
    fresh = tmp_path / "fresh" / ".autoforge"
    result = runner.invoke(app, ["organize", str(out), "--root", str(fresh)])
    assert result.exit_code == 0, result.output
    assert _parsed(fresh) == original
    # The lines are the canonical events, as the collector writes them.
    first = orjson.loads(out.read_bytes().splitlines()[0])
    assert {"event_id", "schema_version", "kind", "project_id", "timestamp"} <= set(first)


def test_parquet_has_typed_flat_columns(store, tmp_path, open_ws):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "events.parquet"
    report = export_events(open_ws(store), out)
    table = pq.read_table(out)
    assert table.num_rows == report.events == len(_parsed(store))
    assert table.column_names[:5] == [
        "event_id",
        "schema_version",
        "kind",
        "project_id",
        "timestamp",
    ]
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("input_tokens").type == pa.int64()
    assert table.schema.field("succeeded").type == pa.bool_()
    rows = table.to_pylist()
    stage = next(r for r in rows if r["project_id"] == "P1" and r["kind"] == "stage_execution")
    assert orjson.loads(stage["system_context"])["constraints"] == ["no vendor lock-in"]
    assert stage["custom_score"] == 0.5 and stage["input_tokens"] == 10
    approval = next(r for r in rows if r["kind"] == "human_approval")
    assert orjson.loads(approval["options_offered"]) == ["postgres", "sqlite"]
    assert approval["decision_aligned"] is False
    assert "chatdev_phase" in table.column_names  # extra fields are columns too


def test_csv_with_kind_and_since_filters(store, tmp_path):
    out = tmp_path / "gates.csv"
    result = runner.invoke(
        app, ["export", str(out), "--kind", "gate_evaluation", "--since", "2025-01-01"]
    )
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["project_id"], r["gate_id"], r["validation_result"]) for r in rows] == [
        ("P1", "api_contract_present", "fail")
    ]
    assert rows[0]["auto_fix_applied"] == "false" and rows[0]["timestamp"].endswith("Z")
    assert "stage_id" not in rows[0]  # only the fields of the kinds exported


def test_export_skips_invalid_lines_and_reports_them(store, tmp_path, open_ws):
    path = StoreLayout(store).raw_files()[0]
    with open(path, "ab") as handle:
        handle.write(b'{"kind": "gate_evaluation", "project_id": "P1"}\n')
    report = export_events(open_ws(store), tmp_path / "x.jsonl")
    assert report.skipped_invalid == 1 and report.problems
    assert report.events == len(_parsed_valid(store))


def _parsed_valid(root: Path) -> list[bytes]:
    out = []
    for path in StoreLayout(root).raw_files():
        for line in path.read_bytes().splitlines():
            try:
                parse_line(line)
            except ValueError:
                continue
            out.append(line)
    return out


def test_bad_options_are_clear_errors(store, tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and "--format" in result.stderr
    result = runner.invoke(app, ["export", str(tmp_path / "x.csv"), "--kind", "nope"])
    assert result.exit_code == 2 and "unknown kind" in result.stderr
    result = runner.invoke(app, ["export", str(tmp_path / "x.csv"), "--since", "yesterday"])
    assert result.exit_code == 2 and "--since" in result.stderr
    assert not list(tmp_path.glob("*.csv"))


def test_derived_tables_export_and_read_back(tmp_path, open_ws):
    import pyarrow.parquet as pq

    from autoforge_learn.sim import simulate

    root = tmp_path / ".autoforge"
    simulate(root, projects=25, seed=3)
    report = export_events(open_ws(root), tmp_path / "gates.parquet", what="gate_labels")
    gates = sum(
        1
        for p in (root / "ai/training_data/raw").glob("*/*_gates.jsonl")
        for _ in p.read_bytes().splitlines()
    )
    table = pq.read_table(tmp_path / "gates.parquet")
    assert report.events == table.num_rows == gates
    assert {"event_id", "quality"} <= set(table.column_names)
    versions = export_events(open_ws(root), tmp_path / "versions.jsonl", what="prompt_versions")
    rows = [orjson.loads(x) for x in (tmp_path / "versions.jsonl").read_bytes().splitlines()]
    assert versions.events == len(rows) > 0 and "gate_success_rate" in rows[0]
    trends = export_events(open_ws(root), tmp_path / "trends.csv", what="monthly_trends")
    assert trends.events == len((tmp_path / "trends.csv").read_text().splitlines()) - 1
    with pytest.raises(UsageError, match="does not apply"):
        export_events(
            open_ws(root), tmp_path / "x.csv", what="gate_labels", kinds=["gate_evaluation"]
        )


def test_derived_exports_are_never_stale(tmp_path, open_ws):
    """A labels or aggregates export reflects the events as they are now, even when an
    older labeled/ or aggregated/ file exists (it used to be exported as it was)."""
    from autoforge_learn.aggregate import aggregate
    from autoforge_learn.label.run import label_store

    root = tmp_path / ".autoforge"
    _fill(root)
    ws = open_ws(root)
    label_store(ws)
    aggregate(ws)
    before = export_events(ws, tmp_path / "before.jsonl", what="gate_labels").events
    c = Collector(root)
    c.on_gate_evaluation(project_id="P9", gate_id="late_gate", agent_role="qa",
                         validation_result="fail", timestamp=datetime(2025, 11, 1, tzinfo=UTC))
    c.close()
    fresh = open_ws(root)  # a later command
    after = export_events(fresh, tmp_path / "after.jsonl", what="gate_labels")
    rows = [orjson.loads(x) for x in (tmp_path / "after.jsonl").read_bytes().splitlines()]
    assert after.events == before + 1 and "late_gate" in {r["gate_id"] for r in rows}
    roles = export_events(fresh, tmp_path / "roles.jsonl", what="role_performance")
    assert roles.events and "qa" in {
        orjson.loads(x)["role"] for x in (tmp_path / "roles.jsonl").read_bytes().splitlines()
    }
