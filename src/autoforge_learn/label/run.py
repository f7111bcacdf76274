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
    gate_result_label,
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


def label_gates(
    gates: list[dict[str, Any]], escalations: list[dict[str, Any]], *, default_max_retries: int
) -> list[dict[str, Any]]:
    """Label gate checks; a check is human-resolved if a human overrode it, or if an
    escalation about the same project, stage and gate was marked resolved."""
    resolved = {
        (e["project_id"], e.get("stage"), e.get("gate_id"))
        for e in escalations
        if e.get("resolved")
    }
    out = []
    for g in gates:
        max_retries = int(g.get("max_retries") or default_max_retries)
        human_resolved = bool(g.get("human_override")) or (
            (g["project_id"], g.get("stage"), g.get("gate_id")) in resolved
        )
        quality = gate_result_label(
            validation_result=str(g.get("validation_result")),
            retry_attempt=int(g.get("retry_attempt") or 1),
            max_retries=max_retries,
            auto_fix_success=g.get("auto_fix_success"),
            escalated=bool(g.get("escalated")),
            human_resolved=human_resolved,
        )
        out.append(
            {
                "event_id": g["event_id"],
                "project_id": g["project_id"],
                "gate_id": g.get("gate_id"),
                "stage": g.get("stage"),
                "agent_role": g.get("agent_role"),
                "prompt_version": g.get("prompt_version"),
                "validation_result": g.get("validation_result"),
                "retry_attempt": g.get("retry_attempt"),
                "max_retries": max_retries,
                "auto_fix_success": g.get("auto_fix_success"),
                "escalated": bool(g.get("escalated")),
                "human_resolved": human_resolved,
                "quality": quality,
                "labeled_by": "auto",
                "rules": RULES_VERSION,
            }
        )
    return out


def label_decisions(approvals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Label human approval decisions (alignment and confidence)."""
    out = []
    for a in approvals:
        alignment, confidence = agent_decision_label(
            agent_recommendation=str(a.get("agent_recommendation") or ""),
            human_decision=str(a.get("human_decision") or ""),
            options_offered=_options(a.get("options_offered")),
            human_confidence=a.get("human_confidence"),
        )
        out.append(
            {
                "event_id": a["event_id"],
                "project_id": a["project_id"],
                "decision_type": a.get("decision_type"),
                "agent_role": a.get("agent_role"),
                "prompt_version": a.get("prompt_version"),
                "agent_recommendation": a.get("agent_recommendation"),
                "human_decision": a.get("human_decision"),
                "alignment": alignment,
                "confidence": confidence,
                "labeled_by": "auto",
                "rules": RULES_VERSION,
            }
        )
    return out


def label_prompts(gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prompt effectiveness per version from its gate checks."""
    checks: Counter[str] = Counter()
    passes: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    roles: dict[str, str | None] = {}
    for g in gates:
        version = g.get("prompt_version")
        if not version:
            continue
        checks[version] += 1
        passes[version] += g.get("validation_result") == "pass"
        retries[version] += max(0, int(g.get("retry_attempt") or 1) - 1)
        roles.setdefault(version, g.get("agent_role"))
    out = []
    for version in sorted(checks):
        success_rate = passes[version] / checks[version]
        retry_rate = retries[version] / checks[version]
        out.append(
            {
                "prompt_version": version,
                "agent_role": roles[version],
                "checks": checks[version],
                "passes": passes[version],
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


def label_store(root: Path, *, engine: str | None = None, write: bool = True) -> LabelReport:
    """Apply the four rules to every event of the store and write ``labeled/``.

    Args:
        root: The ``.autoforge`` directory.
        engine: Analytics engine (default: the embedded DuckDB index).
        write: Write the files (False: only count).
    """
    from autoforge_learn.patterns.source import events_table
    from autoforge_learn.patterns.source import field as extra_field

    layout = StoreLayout(root)
    default_max = int(load_config(layout.config_file).get("gates", {}).get("max_retries", 3))
    t = events_table(layout.root, engine)
    g = t.filter(t.kind == "gate_evaluation")
    gates = _records(
        g.select(
            "event_id",
            "project_id",
            "ts",
            "stage",
            "agent_role",
            "prompt_version",
            "gate_id",
            "validation_result",
            "retry_attempt",
            "auto_fix_success",
            "human_override",
            "escalated",
            max_retries=extra_field(g, "max_retries", "int"),
        )
        .order_by(["ts", "event_id"])
        .execute()
    )
    e = t.filter(t.kind == "escalation")
    escalations = _records(
        e.select(
            "project_id",
            "stage",
            gate_id=extra_field(e, "gate_id"),
            resolved=extra_field(e, "resolved", "bool"),
        ).execute()
    )
    a = t.filter(t.kind == "human_approval")
    approvals = _records(
        a.select(
            "event_id",
            "project_id",
            "ts",
            "decision_type",
            "agent_role",
            "prompt_version",
            agent_recommendation=extra_field(a, "agent_recommendation"),
            human_decision=extra_field(a, "human_decision"),
            options_offered=extra_field(a, "options_offered", "json"),
            human_confidence=extra_field(a, "human_confidence", "float"),
        )
        .order_by(["ts", "event_id"])
        .execute()
    )
    labeled = {
        "gates": label_gates(gates, escalations, default_max_retries=default_max),
        "decisions": label_decisions(approvals),
        "outputs": label_outputs(_project_signals(t)),
        "prompts": label_prompts(gates),
    }
    label_key = {
        "gates": "quality",
        "decisions": "alignment",
        "outputs": "output",
        "prompts": "effectiveness",
    }
    report = LabelReport()
    for name, rows in labeled.items():
        report.counts[name] = dict(sorted(Counter(r[label_key[name]] for r in rows).items()))
        if write:
            path = layout.labeled / FILES[name]
            _write_jsonl(path, rows)
            report.files[name] = path
    return report
