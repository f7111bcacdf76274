"""Pattern 2: retry hotspots (spec 4.1).

A *stage* is one stage execution (a re-run after an escalation is another stage); its
*retries* are its gate checks beyond the first of each gate (checks with
``retry_attempt > 1``), summed over its gates. ``avg_retries`` of a role is the mean of
its stages' retries, with a Student-t 95% interval; it is computed per role, and per
role and platform, and per role and client domain.

Severity: ``high`` when the interval's lower bound exceeds ``threshold`` (spec: 1.0),
``medium`` when the mean does, else ``low``. Impact = excess retries,
``(avg_retries - threshold) * stages``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, GateRetries, Pattern, RetryEvidence, Severity
from autoforge_learn.patterns.common import examples, r, thin, top_texts

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_retry_hotspots(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 2: one per role, per role and platform, per role and domain."""
    from autoforge_learn.stats import mean_interval

    threshold = settings.retry_hotspot.threshold
    runs = data.runs
    if runs.empty:
        return []
    gates = data.gates
    retried = gates[gates["retry_attempt"].fillna(1) > 1]
    failing = gates[gates["validation_result"] != "pass"]
    findings: list[Finding] = []
    splits: list[tuple[str, ...]] = [("agent_role",), ("agent_role", "platform"),
                                     ("agent_role", "client_domain")]
    def segments(frame: Any, columns: tuple[str, ...]) -> dict[tuple[Any, ...], Any]:
        # one groupby per split instead of a mask over the whole frame per segment
        return {
            (k if isinstance(k, tuple) else (k,)): g
            for k, g in frame.groupby(list(columns), sort=False, dropna=True)
        }

    for columns in splits:
        retried_by, failing_by = segments(retried, columns), segments(failing, columns)
        for values, group in runs.groupby(list(columns), sort=True, dropna=True):
            values = values if isinstance(values, tuple) else (values,)
            key = {c: str(v) for c, v in zip(columns, values, strict=True)}
            n = len(group)
            mean = float(group["retries"].mean())
            interval = mean_interval(group["retries"].to_numpy(dtype=float))
            if mean > threshold and interval is not None and interval[0] > threshold:
                severity = Severity.HIGH
            elif mean > threshold:
                severity = Severity.MEDIUM
            else:
                severity = Severity.LOW
            seg_retried = retried_by.get(values, retried.iloc[:0])
            seg_failing = failing_by.get(values, failing.iloc[:0])
            top_gates = seg_retried.groupby("gate_id").size().sort_values(
                ascending=False, kind="stable").head(5)
            split = " ".join(f"on {k}" for c, k in key.items() if c != "agent_role")
            findings.append(Finding(
                pattern=Pattern.RETRY_HOTSPOT,
                key=key,
                title=(f"{key['agent_role']}{(' ' + split) if split else ''}: "
                       f"{mean:.2f} retries per stage ({n} stages)"),
                severity=severity,
                metric="avg_retries",
                value=r(mean) or 0.0,
                interval=interval,
                sample_size=n,
                threshold=threshold,
                baseline=r(runs["retries"].mean()),
                impact=r(max(0.0, mean - threshold) * n) or 0.0,
                thin_evidence=thin(n, settings),
                agent_role=key["agent_role"],
                evidence=RetryEvidence(
                    avg_retries=r(mean),
                    stages=n,
                    retries_total=int(group["retries"].sum()),
                    top_gates=[GateRetries(gate_id=str(g), retries=int(c))
                               for g, c in top_gates.items()],
                    top_reasons=top_texts(seg_failing["validation_reason"]),
                ),
                examples=examples(seg_failing, "validation_reason"),
            ))
    return sorted(findings, key=lambda f: (-f.impact, -f.value))
