"""Matching findings against the simulator's truth (``simulation_truth.json``).

A finding is a *claim* when it is a discovery (its hypothesis survives the run's false
discovery correction, on enough projects); for auto-fix strategies the claims are the
strategies marked ``best`` / ``worst`` whose difference from the others is a discovery
in that direction.
A claim matches a truth problem when:

* gate root cause: the claim's failing checks (its gate and cause label, recomputed with
  :func:`gate_clusters`) are mostly (plurality) of an injected cause of that gate, per
  ``simulation_truth_events.jsonl``;
* retry hotspot: same role, and no platform or the same platform (a split by client
  domain is matched by role: the hotspot raises every domain with mobile projects);
* override hotspot: same decision type and role;
* token inefficient: same prompt version;
* miscalibration: same role and direction;
* auto-fix best / worst: same strategy.

Precision = matched claims / claims; recall = truth problems matched by a claim.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from autoforge_learn.findings import AutoFixEvidence, CalibrationEvidence, Finding, Pattern

TYPES = ("gate_root_cause", "retry_hotspot", "override_hotspot", "token_inefficient",
         "miscalibration", "auto_fix_best", "auto_fix_worst")


def load_truth(root: Path) -> tuple[dict[str, Any], dict[str, str]]:
    base = Path(root) / "ai" / "training_data"
    truth = json.loads((base / "simulation_truth.json").read_text())
    events = {}
    for line in (base / "simulation_truth_events.jsonl").read_text().splitlines():
        row = json.loads(line)
        events[row["event_id"]] = row["cause_id"]
    return truth, events


def _claims(findings: list[Finding]) -> dict[str, list[Finding]]:
    claims: dict[str, list[Finding]] = {t: [] for t in TYPES}
    for f in findings:
        claim = str(f.status) == "discovery"
        if f.pattern == Pattern.GATE_FAILURE_ROOT_CAUSE and claim:
            claims["gate_root_cause"].append(f)
        elif f.pattern == Pattern.RETRY_HOTSPOT and claim:
            claims["retry_hotspot"].append(f)
        elif f.pattern == Pattern.HUMAN_OVERRIDE and claim:
            claims["override_hotspot"].append(f)
        elif f.pattern == Pattern.TOKEN_EFFICIENCY and claim:
            claims["token_inefficient"].append(f)
        elif f.pattern == Pattern.CONFIDENCE_CALIBRATION and claim:
            claims["miscalibration"].append(f)
        elif isinstance(f.evidence, AutoFixEvidence) and f.evidence.best and claim and (
                f.hypothesis is not None and f.hypothesis.effect > 0):
            claims["auto_fix_best"].append(f)
        elif isinstance(f.evidence, AutoFixEvidence) and f.evidence.worst and claim and (
                f.hypothesis is not None and f.hypothesis.effect < 0):
            claims["auto_fix_worst"].append(f)
    return claims


def _match(kind: str, f: Finding, p: dict[str, Any], cause_of: dict[str, str | None]) -> bool:
    k = f.key
    if kind == "gate_root_cause":
        return k["gate_id"] == p["gate_id"] and cause_of.get(f.id) == p["cause_id"]
    if kind == "retry_hotspot":
        return k["agent_role"] == p["role"] and k.get("platform", p["platform"]) == p["platform"]
    if kind == "override_hotspot":
        return (k["decision_type"], k["agent_role"]) == (p["decision_type"], p["agent_role"])
    if kind == "token_inefficient":
        return k["prompt_version"] == p["prompt_version"]
    if kind == "miscalibration":
        assert isinstance(f.evidence, CalibrationEvidence)
        return k["agent_role"] == p["agent_role"] and f.evidence.direction == p["direction"]
    return k["strategy"] == p["strategy"]


def score(root: Path, findings: list[Finding], gates_clustered: Any) -> dict[str, dict[str, int]]:
    """Per problem type: claims, matched claims, truth problems, found problems."""
    truth, events = load_truth(root)
    cause_of: dict[str, str | None] = {}
    for f in findings:
        if f.pattern == Pattern.GATE_FAILURE_ROOT_CAUSE:
            rows = gates_clustered[(gates_clustered["gate_id"] == f.key["gate_id"])
                                   & (gates_clustered["cause"] == f.key["cause"])]
            counts = Counter(events.get(e) for e in rows["event_id"])
            cause_of[f.id] = counts.most_common(1)[0][0] if counts else None
    claims = _claims(findings)
    out = {}
    for kind in TYPES:
        problems = [p for p in truth["problems"] if p["type"] == kind]
        matched = sum(1 for f in claims[kind] if any(_match(kind, f, p, cause_of)
                                                     for p in problems))
        found = sum(1 for p in problems if any(_match(kind, f, p, cause_of)
                                               for f in claims[kind]))
        out[kind] = {"claims": len(claims[kind]), "matched": matched,
                     "problems": len(problems), "found": found}
    return out
