"""Metrics, findings and labels as DataFrames: the documented columns, the same values
as the typed results, and pandas loaded only when a frame is asked for."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import autoforge_learn
from autoforge_learn import Selection, Workspace, findings_frame, label_frames, metric_frame
from autoforge_learn.dataset.metrics import metric_values
from autoforge_learn.findings import FINDING_COLUMNS
from autoforge_learn.label.run import label_events
from autoforge_learn.patterns import detect_patterns
from autoforge_learn.tables import LABEL_COLUMNS, METRIC_COLUMNS


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from autoforge_learn.sim import simulate

    root = tmp_path_factory.mktemp("tables") / ".autoforge"
    simulate(root, projects=20, seed=3)
    with Workspace(root) as workspace:
        yield workspace


def _same(a: object, b: object) -> bool:
    """Equal, with pandas' missing values equal to None."""
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    return a == b


def _rows(frame) -> list[list[object]]:
    return [[v.item() if hasattr(v, "item") else v for v in row]
            for row in frame.astype(object).itertuples(index=False)]


def test_the_frames_are_in_the_public_api():
    assert {"metric_frame", "findings_frame", "label_frames"} <= set(autoforge_learn.__all__)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "library.md").read_text()
    for name in ("metric_frame", "findings_frame", "label_frames"):
        assert f"`{name}" in docs


@pytest.mark.parametrize(("metric", "by"), [("gate_pass_rate", ["role"]),
                                             ("quality_score", ["recipe", "month"]),
                                             ("cost_per_project", [])])
def test_metric_frame_holds_the_metric_values(ws: Workspace, metric: str, by: list[str]):
    frame = metric_frame(ws, metric, by=by)
    assert list(frame.columns) == [*by, *METRIC_COLUMNS]
    rows = metric_values(ws, metric, by=by)
    assert len(rows) == len(frame) > 0
    for row, values in zip(rows, _rows(frame), strict=True):
        assert all(_same(row.get(c), v) for c, v in zip(frame.columns, values, strict=True))


def test_metric_frame_of_nothing_keeps_its_columns(ws: Workspace):
    frame = metric_frame(ws, "gate_pass_rate", by=["role"],
                         selection=Selection.build(since="2031-01-01"))
    assert frame.empty and list(frame.columns) == ["role", *METRIC_COLUMNS]


def test_findings_frame_holds_each_finding(ws: Workspace):
    findings = detect_patterns(ws)
    frame = findings_frame(findings)
    assert list(frame.columns) == list(FINDING_COLUMNS)
    assert len(frame) == len(findings) > 5
    for finding, values in zip(findings, _rows(frame), strict=True):
        row = dict(zip(frame.columns, values, strict=True))
        assert row["id"] == finding.id and row["pattern"] == finding.pattern
        assert row["value"] == finding.value and row["projects"] == finding.projects
        assert row["status"] == finding.status and row["severity"] == finding.severity
        interval = finding.interval or (None, None)
        assert _same(row["ci_low"], interval[0]) and _same(row["ci_high"], interval[1])
        p_value = finding.hypothesis.p_value if finding.hypothesis else None
        assert _same(row["p_value"], p_value)
    assert list(findings_frame([]).columns) == list(FINDING_COLUMNS)


def test_label_frames_hold_the_labels(ws: Workspace):
    labels = label_events(ws)
    frames = label_frames(ws)
    assert set(frames) == set(LABEL_COLUMNS) == {"gates", "decisions", "outputs", "prompts"}
    for name, frame in frames.items():
        records = labels.records(name)
        assert list(frame.columns) == list(LABEL_COLUMNS[name])
        assert len(records) == len(frame) > 0, name
        assert list(records[0]) == list(LABEL_COLUMNS[name]), name
        for record, values in zip(records, _rows(frame), strict=True):
            assert all(_same(record[c], v) for c, v in zip(frame.columns, values, strict=True))
    empty = label_frames(ws, Selection.build(since="2031-01-01"))
    assert {name: list(f.columns) for name, f in empty.items()} == {
        name: list(cols) for name, cols in LABEL_COLUMNS.items()}


def test_pandas_is_loaded_only_for_a_frame():
    code = ("import sys, autoforge_learn, autoforge_learn.tables; "
            "autoforge_learn.metric_frame; print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
