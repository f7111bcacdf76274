"""Pattern 2 of 8: retry hotspots.

A *stage* is one stage execution (a re-run after an escalation is another stage); its
*retries* are its gate checks beyond the first of each gate (checks with
``retry_attempt > 1``), summed over its gates. ``avg_retries`` of a group (a role; a
role and platform; a role and client domain) is its retries over its stage runs, with
the project as the unit: the ratio of the projects' sums, its delta-method interval.

The claim: the group needs more than ``threshold`` (default 1.0) retries per stage run,
tested over projects (one-sided). Severity comes from the run's judged claims
(:mod:`autoforge_learn.patterns.verdicts`). Impact = excess retries,
``(avg_retries - threshold) * stages``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, GateRetries, Pattern, RetryEvidence, Severity
from autoforge_learn.patterns.claims import interval, per_project, versus_threshold
from autoforge_learn.patterns.common import examples, r, top_texts

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_retry_hotspots(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 2: one per role, per role and platform, per role and domain."""
    threshold = settings.retry_hotspot.threshold
    runs = data.runs
    if runs.empty:
        return []
    # the columns read here alone: each group and segment below copies its columns
    split_columns = sorted({c for columns in SPLITS for c in columns})
    runs = runs[[*split_columns, "project_id", "retries"]]
    gates = data.gates[[*split_columns, "project_id", "event_id", "ts", "gate_id",
                        "retry_attempt", "validation_result", "validation_reason"]]
    retried = gates[gates["retry_attempt"].fillna(1) > 1]
    failing = gates[gates["validation_result"] != "pass"]
    findings: list[Finding] = []
    for columns in SPLITS:
        retried_by, failing_by = _segments(retried, columns), _segments(failing, columns)
        for values, group in runs.groupby(list(columns), sort=True, dropna=True):
            values = values if isinstance(values, tuple) else (values,)
            key = {c: str(v) for c, v in zip(columns, values, strict=True)}
            finding = _finding(
                key,
                group,
                threshold,
                retried_by.get(values, retried.iloc[:0]),
                failing_by.get(values, failing.iloc[:0]),
            )
            if finding is not None:
                findings.append(finding)
    return sorted(findings, key=lambda f: (-f.impact, -f.value))


#: The groups retries are measured in: per role, per role and platform, per role and domain.
SPLITS: list[tuple[str, ...]] = [
    ("agent_role",),
    ("agent_role", "platform"),
    ("agent_role", "client_domain"),
]


def _segments(frame: Any, columns: tuple[str, ...]) -> dict[tuple[Any, ...], Any]:
    # one groupby per split instead of a mask over the whole frame per segment
    return {
        (k if isinstance(k, tuple) else (k,)): g
        for k, g in frame.groupby(list(columns), sort=False, dropna=True)
    }


def _finding(
    key: dict[str, str], group: Any, threshold: float, seg_retried: Any, seg_failing: Any
) -> Finding | None:
    """The retry finding of one group of stage runs: its retries per run, tested over
    projects against the threshold."""
    split = " ".join(f"on {k}" for c, k in key.items() if c != "agent_role")
    scope = f"{key['agent_role']}{(' ' + split) if split else ''}"
    counts = per_project(group, group["retries"])
    est, hypothesis = versus_threshold(
        counts,
        threshold,
        claim=f"{scope} needs more than {threshold:g} retries per stage run",
        scale="positive",
    )
    if est is None:
        return None
    n = len(group)
    top_gates = seg_retried.groupby("gate_id").size().sort_values(
        ascending=False, kind="stable").head(5)
    return Finding(
        pattern=Pattern.RETRY_HOTSPOT,
        key=key,
        title=f"{scope}: {est.value:.2f} retries per stage ({n} stages, {est.projects} projects)",
        severity=Severity.LOW,
        metric="avg_retries",
        value=r(est.value) or 0.0,
        interval=interval(est),
        sample_size=n,
        threshold=threshold,
        baseline=threshold,
        impact=r(max(0.0, est.value - threshold) * n) or 0.0,
        agent_role=key["agent_role"],
        evidence=RetryEvidence(
            avg_retries=r(est.value),
            stages=n,
            retries_total=int(group["retries"].sum()),
            top_gates=[GateRetries(gate_id=str(g), retries=int(c)) for g, c in top_gates.items()],
            top_reasons=top_texts(seg_failing["validation_reason"]),
        ),
        examples=examples(seg_failing, "validation_reason"),
        hypothesis=hypothesis,
        projects=est.projects,
    )
