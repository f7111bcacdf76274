"""``autoforge label``: apply the spec 3.1 rules to a store and write ``labeled/``.

Writes, each file rebuilt whole (labels are derived data; raw events are never touched):

* ``labeled/gates_labeled.jsonl``: one line per gate check with ``quality``;
* ``labeled/decisions_labeled.jsonl``: one line per human approval with ``alignment``
  and ``confidence``;
* ``labeled/outputs_quality_scored.jsonl``: one line per completed project with its
  quality score, the score's inputs and ``output``;
* ``labeled/prompt_effectiveness.jsonl``: one line per prompt version with its success
  rate, retry rate and ``effectiveness``.

Events are selected on the analytics engine (DuckDB or PostgreSQL) and the rules are
applied to the rows that come back.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.label.rules import (
    agent_decision_label,
    output_quality_label,
    prompt_effectiveness_label,
)
from autoforge_learn.schema.quality import quality_score
from autoforge_learn.store.config import load_config
from autoforge_learn.store.layout import StoreLayout

RULES_VERSION = "spec-3.1/1"
FILES = {
    "gates": "gates_labeled.jsonl",
    "decisions": "decisions_labeled.jsonl",
    "outputs": "outputs_quality_scored.jsonl",
    "prompts": "prompt_effectiveness.jsonl",
}


@dataclass
class LabelReport:
    """What was labeled: counts per label, per file."""

    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": {k: str(v) for k, v in self.files.items()},
            "counts": self.counts,
        }


def _none(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, NA) as None; numpy scalars as Python ones."""
    # the common plain values first: this runs once per cell of every labeled row
    if value is None or type(value) in (str, bool, int):
        return value
    if type(value) is float:
        return None if value != value else value
    try:
        import pandas as pd

        if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _none(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row, option=orjson.OPT_NAIVE_UTC) + b"\n")
    os.replace(tmp, path)


def _options(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def label_gates(gates: Any, escalations: Any, *, default_max_retries: int) -> Any:
    """Label gate checks (a DataFrame) with the spec 3.1 rule, vectorized.

    A check is human-resolved if a human overrode it, or if an escalation about the same
    project, stage and gate was marked resolved. Returns one row per check with the
    rule's inputs and ``quality``; the rule is :func:`gate_result_label` exactly (its
    tests pin the vectorized form to it).
    """
    import numpy as np
    import pandas as pd

    g = gates
    keys = ["project_id", "stage", "gate_id"]
    if len(escalations):
        done = escalations[escalations["resolved"].fillna(False).astype(bool)]
        resolved_keys = set(map(tuple, done[keys].astype(object).itertuples(index=False)))
    else:
        resolved_keys = set()
    by_escalation = pd.Series(
        [tuple(k) in resolved_keys for k in g[keys].astype(object).itertuples(index=False)],
        index=g.index,
        dtype=bool,
    )
    max_retries = g["max_retries"].fillna(default_max_retries).astype(int)
    retry = g["retry_attempt"].fillna(1).astype(int)
    fixed = g["auto_fix_success"].fillna(False).astype(bool)
    escalated = g["escalated"].fillna(False).astype(bool)
    human = g["human_override"].fillna(False).astype(bool) | by_escalation
    quality = np.select(
        [g["validation_result"] == "pass", (retry < max_retries) & fixed, escalated & human],
        ["excellent", "good", "acceptable"],
        default="poor",
    )
    return pd.DataFrame(
        {
            "event_id": g["event_id"],
            "project_id": g["project_id"],
            "gate_id": g["gate_id"],
            "stage": g["stage"],
            "agent_role": g["agent_role"],
            "prompt_version": g["prompt_version"],
            "validation_result": g["validation_result"],
            "retry_attempt": retry,
            "max_retries": max_retries,
            "auto_fix_success": g["auto_fix_success"],
            "escalated": escalated,
            "human_resolved": human,
            "quality": quality,
            "labeled_by": "auto",
            "rules": RULES_VERSION,
        }
    )


def label_decisions(approvals: Any) -> Any:
    """Label human approval decisions (a DataFrame) with alignment and confidence."""
    import pandas as pd

    a = approvals
    labels = [
        agent_decision_label(
            agent_recommendation=str(rec or ""),
            human_decision=str(chosen or ""),
            options_offered=_options(options),
            human_confidence=_none(conf),
        )
        for rec, chosen, options, conf in zip(
            a["agent_recommendation"].tolist(),
            a["human_decision"].tolist(),
            a["options_offered"].tolist(),
            a["human_confidence"].tolist(),
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "event_id": a["event_id"],
            "project_id": a["project_id"],
            "decision_type": a["decision_type"],
            "agent_role": a["agent_role"],
            "prompt_version": a["prompt_version"],
            "agent_recommendation": a["agent_recommendation"],
            "human_decision": a["human_decision"],
            "alignment": [label for label, _ in labels],
            "confidence": [confidence for _, confidence in labels],
            "labeled_by": "auto",
            "rules": RULES_VERSION,
        }
    )


def label_prompts(gates: Any) -> list[dict[str, Any]]:
    """Prompt effectiveness per version from its gate checks (a DataFrame)."""
    g = gates[gates["prompt_version"].notna()]
    if not len(g):
        return []
    frame = (
        g.assign(
            passed=(g["validation_result"] == "pass").astype(int),
            retries=(g["retry_attempt"].fillna(1).astype(int) - 1).clip(lower=0),
        )
        .groupby("prompt_version")
        .agg(
            checks=("passed", "size"),
            passes=("passed", "sum"),
            retries=("retries", "sum"),
            agent_role=("agent_role", "first"),
        )
    )
    out = []
    for version, row in frame.sort_index().iterrows():
        checks = int(row["checks"])
        success_rate = int(row["passes"]) / checks
        retry_rate = int(row["retries"]) / checks
        out.append(
            {
                "prompt_version": str(version),
                "agent_role": _none(row["agent_role"]),
                "checks": checks,
                "passes": int(row["passes"]),
                "success_rate": round(success_rate, 6),
                "retry_rate": round(retry_rate, 6),
                "effectiveness": prompt_effectiveness_label(
                    success_rate=success_rate, retry_rate=retry_rate
                ),
                "labeled_by": "auto",
                "rules": RULES_VERSION,
            }
        )
    return out


def label_outputs(signals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Quality label per completed project from its latest signals (spec 3.1 formula)."""
    out = []
    for p in signals:
        coverage = p.get("test_coverage_percent")
        security_clean = bool(p.get("security_clean"))
        perf_within_slo = bool(p.get("perf_within_slo"))
        no_major_rework = not p.get("major_rework")
        score = quality_score(
            test_coverage_percent=coverage,
            security_clean=security_clean,
            perf_within_slo=perf_within_slo,
            no_major_rework=no_major_rework,
        )
        inputs = {
            "test_coverage_percent": coverage,
            "security_clean": security_clean,
            "perf_within_slo": perf_within_slo,
            "no_major_rework": no_major_rework,
        }
        out.append(
            {
                "project_id": p["project_id"],
                **inputs,
                "quality_score": score,
                "output": output_quality_label(score),
                "labeled_by": "auto",
                "rules": RULES_VERSION,
            }
        )
    return out


def _latest(frame: Any, columns: list[str]) -> Any:
    ordered = frame.sort_values(["project_id", "ts", "event_id"], kind="stable")
    return ordered.groupby("project_id", as_index=False).last()[["project_id", *columns]]


def _project_signals(t: Any) -> list[dict[str, Any]]:
    """Per completed project: the inputs of the quality score, selected on the engine."""
    from autoforge_learn.patterns.source import field as extra_field

    done = t.filter(t.kind == "project_completed").select("project_id").distinct().execute()
    tests = (
        t.filter(t.kind == "test_results")
        .select("project_id", "ts", "event_id", "test_coverage_percent")
        .execute()
    )
    scans = t.filter(t.kind == "security_scan")
    scans = scans.select(
        "project_id",
        "ts",
        "event_id",
        critical=extra_field(scans, "critical", "int"),
        major=extra_field(scans, "major", "int"),
    ).execute()
    perf = (
        t.filter(t.kind == "performance_metrics")
        .select("project_id", "ts", "event_id", "within_slo")
        .execute()
    )
    feedback = (
        t.filter((t.kind == "downstream_feedback") & t.severity.isin(["critical", "major"]))
        .select("project_id")
        .distinct()
        .execute()
    )
    rows = {p: {"project_id": p} for p in done["project_id"]}
    for r in _records(_latest(tests, ["test_coverage_percent"])):
        if r["project_id"] in rows:
            rows[r["project_id"]]["test_coverage_percent"] = r["test_coverage_percent"]
    for r in _records(_latest(scans, ["critical", "major"])):
        if r["project_id"] in rows:
            clean = (r["critical"] or 0) == 0 and (r["major"] or 0) == 0
            rows[r["project_id"]]["security_clean"] = clean
    for r in _records(_latest(perf, ["within_slo"])):
        if r["project_id"] in rows:
            rows[r["project_id"]]["perf_within_slo"] = bool(r["within_slo"])
    for p in feedback["project_id"]:
        if p in rows:
            rows[p]["major_rework"] = True
    return [rows[p] for p in sorted(rows)]


def label_store(
    root: Path,
    *,
    engine: str | None = None,
    write: bool = True,
    data: Any | None = None,
    table: Any | None = None,
) -> LabelReport:
    """Apply the four rules to every event of the store and write ``labeled/``.

    Args:
        root: The ``.autoforge`` directory.
        engine: Analytics engine (default: the embedded DuckDB index).
        write: Write the files (False: only count).
        data: An already loaded, unfiltered
            :class:`~autoforge_learn.patterns.data.Dataset` to label (saves a fetch).
        table: The ibis events table of an index already refreshed (saves a refresh).
    """
    from autoforge_learn.patterns.data import load_dataset
    from autoforge_learn.patterns.source import events_table

    layout = StoreLayout(root)
    default_max = int(load_config(layout.config_file).get("gates", {}).get("max_retries", 3))
    t = table if table is not None else events_table(layout.root, engine)
    if data is None:
        data = load_dataset(layout.root, engine=engine, table=t)
    gates = label_gates(data.gates, data.escalations, default_max_retries=default_max)
    labeled: dict[str, Any] = {
        "gates": gates,
        "decisions": label_decisions(data.approvals),
        "outputs": label_outputs(_project_signals(t)),
        "prompts": label_prompts(data.gates),
    }
    label_key = {
        "gates": "quality",
        "decisions": "alignment",
        "outputs": "output",
        "prompts": "effectiveness",
    }
    report = LabelReport()
    for name, rows in labeled.items():
        key = label_key[name]
        if isinstance(rows, list):
            counts = Counter(r[key] for r in rows)
        else:
            counts = Counter(rows[key].tolist())
        report.counts[name] = dict(sorted(counts.items()))
        if write:
            path = layout.labeled / FILES[name]
            if isinstance(rows, list):
                _write_jsonl(path, rows)
            else:
                _write_frame(path, rows)
            report.files[name] = path
    return report


def _write_frame(path: Path, frame: Any) -> None:
    """A DataFrame as JSONL, written by DuckDB's JSON writer (pandas' iterates Arrow-backed
    columns value by value: 2.3 s on 390,000 rows against 0.2 s)."""
    import duckdb
    import pyarrow as pa

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    con = duckdb.connect()
    try:
        con.register("labeled_rows", table)
        target = str(tmp).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM labeled_rows) TO '{target}' (FORMAT json)")
    finally:
        con.close()
    os.replace(tmp, path)
