"""A valid event with a NUL character in its text is indexed on both engines (it used to
make every PostgreSQL refresh fail with UntranslatableCharacter)."""

from __future__ import annotations

from pathlib import Path

from autoforge_learn.collect.collector import Collector
from autoforge_learn.dataset.metrics import metric_values


def test_nul_in_text_fields_does_not_block_the_index(af_root: Path, open_ws) -> None:
    with Collector(af_root) as c:
        c.on_gate_evaluation(project_id="p1", gate_id="g\x00x", validation_result="fail",
                             validation_reason="bad\x00byte", stage="s\x00")
        c.on_gate_evaluation(project_id="p2", gate_id="g", validation_result="pass",
                             notes={"nested": "nul \x00 here"})
    ws = open_ws(af_root)
    report = ws.refresh()
    assert report.events == 2 and report.issues == []
    rows = metric_values(ws, "gate_pass_rate", by=["gate"])
    assert sorted(r["denominator"] for r in rows) == [1, 1]
    assert {r["value"] for r in rows} == {0.0, 1.0}
