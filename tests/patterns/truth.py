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

TYPES = (
    "gate_root_cause",
    "retry_hotspot",
    "override_hotspot",
    "token_inefficient",
    "miscalibration",
    "auto_fix_best",
    "auto_fix_worst",
)
LOOPS = (
    "loop_1_gate_failures",
    "loop_2_human_overrides",
    "loop_3_downstream_feedback",
    "loop_4_quality_regression",
    "loop_5_token_efficiency",
    "loop_6_autonomy_calibration",
)
#: The problem type a loop fired on a finding is scored as.
LOOP_TYPES = {
    "loop_1_gate_failures": "gate_root_cause",
    "loop_2_human_overrides": "override_hotspot",
}


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
        elif (
            isinstance(f.evidence, AutoFixEvidence)
            and f.evidence.best
            and claim
            and (f.hypothesis is not None and f.hypothesis.effect > 0)
        ):
            claims["auto_fix_best"].append(f)
        elif (
            isinstance(f.evidence, AutoFixEvidence)
            and f.evidence.worst
            and claim
            and (f.hypothesis is not None and f.hypothesis.effect < 0)
        ):
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


def cause_labels(
    root: Path, findings: list[Finding], gates_clustered: Any
) -> dict[str, str | None]:
    """The true cause of each gate cause finding: the plurality of its failing checks'."""
    _, events = load_truth(root)
    cause_of: dict[str, str | None] = {}
    for f in findings:
        if f.pattern == Pattern.GATE_FAILURE_ROOT_CAUSE:
            rows = gates_clustered[
                (gates_clustered["gate_id"] == f.key["gate_id"])
                & (gates_clustered["cause"] == f.key["cause"])
            ]
            counts = Counter(events.get(e) for e in rows["event_id"])
            cause_of[f.id] = counts.most_common(1)[0][0] if counts else None
    return cause_of


def score(root: Path, findings: list[Finding], gates_clustered: Any) -> dict[str, dict[str, int]]:
    """Per problem type: claims, matched claims, truth problems, found problems."""
    truth, _ = load_truth(root)
    cause_of = cause_labels(root, findings, gates_clustered)
    claims = _claims(findings)
    out = {}
    for kind in TYPES:
        problems = [p for p in truth["problems"] if p["type"] == kind]
        matched = sum(
            1 for f in claims[kind] if any(_match(kind, f, p, cause_of) for p in problems)
        )
        found = sum(1 for p in problems if any(_match(kind, f, p, cause_of) for f in claims[kind]))
        out[kind] = {
            "claims": len(claims[kind]),
            "matched": matched,
            "problems": len(problems),
            "found": found,
        }
    return out


def _loop_true(
    action: Any, truth: dict[str, Any], by_id: dict[str, Finding], cause_of: dict[str, str | None]
) -> bool:
    problems = truth["problems"]
    finding = by_id.get(action.finding_ids[0]) if action.finding_ids else None
    kind = LOOP_TYPES.get(action.loop_id)
    if kind is not None and finding is not None:
        return any(_match(kind, finding, p, cause_of) for p in problems if p["type"] == kind)
    if action.loop_id == "loop_3_downstream_feedback" and finding is not None:
        return any(
            (p["upstream_role"], p["downstream_role"])
            == (finding.key["from_role"], finding.key["to_role"])
            for p in problems
            if p["type"] == "bad_handoff"
        )
    if action.loop_id == "loop_5_token_efficiency":
        return any(
            p["prompt_version"] == action.evidence["prompt_version"]
            for p in problems
            if p["type"] == "token_inefficient"
        )
    if action.loop_id == "loop_6_autonomy_calibration":
        # Override rates are constant over time; escalations fall once the versions that
        # fix the injected causes are rolled out (all of them before the last projects).
        fixes = any(p.get("fixed_by") for p in problems if p["type"] == "gate_root_cause")
        ev = action.evidence
        return (
            ev["measure"] == "escalation_rate"
            and fixes
            and ev["recent"]["rate"] < ev["before"]["rate"]
        )
    return False  # loop 4: the simulator injects no quality drop


def score_loops(
    root: Path, findings: list[Finding], actions: list[Any], gates_clustered: Any
) -> dict[str, dict[str, int]]:
    """Per loop: actions fired, and those whose trigger is true in the simulator's truth
    (loops 1-3 and 5: the finding or version is an injected problem of that type;
    loop 6: escalations fell after fixing versions rolled out; loop 4: never)."""
    truth, _ = load_truth(root)
    cause_of = cause_labels(root, findings, gates_clustered)
    by_id = {f.id: f for f in findings}
    out = {loop: {"fired": 0, "matched": 0} for loop in LOOPS}
    for action in actions:
        out[action.loop_id]["fired"] += 1
        out[action.loop_id]["matched"] += _loop_true(action, truth, by_id, cause_of)
    return out


def null_claims(
    truth: dict[str, Any],
    findings: list[Finding],
    actions: list[Any],
    cause_of: dict[str, str | None],
    cause_rate: float,
) -> list[str]:
    """High/medium findings and fired loops attributable to a known-null contrast (twin
    prompt versions, twin auto-fix strategies): a token claim about a twin version, a
    gate cause claimed above ``cause_rate`` in a twin version where its true rate is
    not, a claim that a twin strategy differs from the others, a loop 5 on a twin."""
    versions, strategies = set(), set()
    for c in truth["null_contrasts"]:
        (versions if c["kind"] == "prompt_version" else strategies).update((c["a"], c["b"]))
    wasteful = {p["prompt_version"] for p in truth["problems"] if p["type"] == "token_inefficient"}
    out = []
    for f in findings:
        if str(f.severity) not in ("high", "medium") or f.hypothesis is None:
            continue
        if f.pattern == Pattern.TOKEN_EFFICIENCY and f.key["prompt_version"] in versions - wasteful:
            out.append(f.id)
        elif f.pattern == Pattern.AUTO_FIX_STRATEGY and f.key["strategy"] in strategies:
            out.append(f.id)
        elif f.pattern == Pattern.GATE_FAILURE_ROOT_CAUSE:
            named = [v for v in versions if f.hypothesis.claim.endswith(f" in {v}")]
            gate = f.key["gate_id"]
            for v in named:
                rates = truth["prompt_versions"][v]["gates"].get(gate, {}).get("causes", {})
                if rates.get(cause_of.get(f.id) or "", 0.0) <= cause_rate:
                    out.append(f.id)
    for a in actions:
        ev = a.evidence
        if a.loop_id == "loop_5_token_efficiency" and (
            ev["prompt_version"] in versions - wasteful
            or {ev["prompt_version"], ev["previous_version"]} <= versions
        ):
            out.append(f"{a.loop_id}:{ev['previous_version']}->{ev['prompt_version']}")
        elif a.loop_id == "loop_1_gate_failures" and a.finding_ids and a.finding_ids[0] in out:
            out.append(f"{a.loop_id}:{a.finding_ids[0]}")
    return out
