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


def test_both_engines_hold_the_same_events(af_root: Path) -> None:
    """NUL becomes U+FFFD in the index on both engines (PostgreSQL's text cannot hold it),
    in bulk reads and line by line alike; the raw file keeps it."""
    import orjson

    from autoforge_learn.workspace import Workspace
    from tests.conftest import pg_schema_url

    with Collector(af_root) as c:
        c.on_gate_evaluation(project_id="p1", gate_id="g\x00x", validation_result="fail",
                             validation_reason="bad\x00byte", notes={"n": "a\x00b"})
    raw = next((af_root / "ai" / "training_data" / "raw").rglob("*_gates.jsonl"))
    copy = raw.read_bytes().replace(b'"p1"', b'"p2"').replace(b'"event_id":"', b'"event_id":"x')
    with open(raw, "ab") as handle:  # a torn last line: the file is read line by line
        handle.write(copy + b'{"torn')
    before = raw.read_bytes()

    def rows(engine: str | None) -> list[tuple[object, ...]]:
        with Workspace(af_root, engine=engine) as ws:
            ws.refresh(rebuild=True)
            table = ws.events().order_by("project_id").to_pyarrow().to_pylist()
        return [
            (r["project_id"], r["gate_id"], r["extra"] if isinstance(r["extra"], dict)
             else orjson.loads(r["extra"]))
            for r in table
        ]

    urls = pg_schema_url()
    duck, pg = rows(None), rows(next(urls))
    for _ in urls:
        pass
    assert duck == pg
    assert [r[1] for r in duck] == ["g\ufffdx", "g\ufffdx"]
    assert duck[0][2]["validation_reason"] == "bad\ufffdbyte"
    assert raw.read_bytes() == before
