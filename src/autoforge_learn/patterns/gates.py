"""Pattern 1: gate failure root causes (spec 4.1).

For every gate: checks, failures and failure rate. For a gate failing more than
``gate_failure_rate`` of its checks, the failure reasons are clustered
(:mod:`.clustering`) and the ``top_n`` clusters by failures become findings.

Per cluster (cause):

* ``value`` = cause failures / gate checks, with its Wilson interval;
* the *most affected segment* is the prompt version or platform (with at least
  ``min_sample`` first checks of the gate) where the cause's first-check rate (failures
  of the cause on a first check / first checks of the gate) is highest; first checks
  only, so that retries, which repeat a cause, do not inflate it;
* severity: ``high`` when that segment's Wilson lower bound exceeds ``cause_rate``,
  ``medium`` when its point rate does, or when the cause is *concentrated* in the
  segment (its rate there is above ``cause_rate / 2`` and significantly above the rest of
  the gate's checks: one-sided two-proportion z-test, Bonferroni-corrected for the
  number of segments compared, p < ``concentration_alpha``; a cause tied to one prompt
  version or platform is one a prompt change can fix), else ``low``; a point rate above
  ``cause_rate`` alone needs p < ``segment_alpha``; both ``medium`` rules also need the
  segment's rate to be at least ``concentration_ratio`` times the rest's; fewer than
  ``min_failures`` failures is ``low``;
* ``retries`` = failing checks of the cause that were themselves a retry
  (``retry_attempt > 1``), i.e. the cause came back after a retry;
* impact = cause failures (what fixing it would save).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, GateCauseEvidence, Pattern, Segment, Severity
from autoforge_learn.patterns.clustering import cluster_reasons
from autoforge_learn.patterns.common import examples, r, thin, top_texts
from autoforge_learn.patterns.tokens import proportions_z

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings

NO_REASON = "(no reason given)"


def gate_clusters(gates: Any, settings: PatternSettings) -> Any:
    """The failing checks of ``gates`` with a ``cause`` label and ``cluster`` id per gate."""
    opts = settings.gate_failure_root_cause
    failed = gates[gates["validation_result"] != "pass"].copy()
    failed["reason"] = failed["validation_reason"].fillna("").astype(str)
    failed["cause"] = NO_REASON
    failed["cluster"] = -1
    for _gate_id, group in failed.groupby("gate_id", sort=True):
        labels, clusters = cluster_reasons(
            [t or NO_REASON for t in group["reason"]],
            template_similarity=opts.template_similarity,
            merge_distance=opts.merge_distance,
            links=_retry_links(group) if opts.use_retry_links else (),
            min_links=opts.min_links,
        )
        failed.loc[group.index, "cluster"] = labels
        failed.loc[group.index, "cause"] = [clusters[k].label for k in labels]
    return failed


def _retry_links(group: Any) -> list[tuple[int, int]]:
    """Positional pairs of failing checks of one gate in one project and stage that
    follow each other (attempt k and k + 1): a retry failing again, usually for the
    same cause."""
    projects = group["project_id"].tolist()
    stages = group["stage"].tolist()
    attempts = group["retry_attempt"].fillna(1).astype(int).tolist()
    index = {key: pos for pos, key in enumerate(zip(projects, stages, attempts, strict=True))}
    out = []
    for pos, (project, stage, attempt) in enumerate(
        zip(projects, stages, attempts, strict=True)
    ):
        nxt = index.get((project, stage, attempt + 1))
        if nxt is not None:
            out.append((pos, nxt))
    return out


def _worst_segment(
    gate_rows: Any, cause_rows: Any, min_checks: int
) -> tuple[str, str, int, int, int]:
    """(segment kind, value, cause failures, gate checks, segments compared) of the
    highest cause rate."""
    best = ("all", "all", len(cause_rows), len(gate_rows))
    best_rate = best[2] / max(1, best[3])
    compared = 0
    for column in ("prompt_version", "platform"):
        checks = gate_rows.groupby(column).size()
        fails = cause_rows.groupby(column).size()
        for value, n in checks.items():
            k = int(fails.get(value, 0))
            if n >= min_checks:
                compared += 1
                if k / n > best_rate:
                    best, best_rate = (column, str(value), k, int(n)), k / n
    return (*best, max(1, compared))


def detect_gate_root_causes(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 1, the top causes of each frequently failing gate."""
    from autoforge_learn.stats import wilson_interval

    opts = settings.gate_failure_root_cause
    gates = data.gates
    if gates.empty:
        return []
    failed = gate_clusters(gates, settings)
    findings: list[Finding] = []
    min_sample = settings.min_sample
    for gate_id, gate_rows in gates.groupby("gate_id", sort=True):
        checks = len(gate_rows)
        gate_failed = failed[failed["gate_id"] == gate_id]
        gate_rate = len(gate_failed) / checks
        if gate_rate <= opts.gate_failure_rate:
            continue
        sizes = gate_failed.groupby("cluster").size().sort_values(ascending=False, kind="stable")
        for cluster_id in list(sizes.index)[: opts.top_n]:
            rows = gate_failed[gate_failed["cluster"] == cluster_id]
            cause = str(rows["cause"].iloc[0])
            n_fail = len(rows)
            first_gate = gate_rows[gate_rows["retry_attempt"].fillna(1) <= 1]
            first_rows = rows[rows["retry_attempt"].fillna(1) <= 1]
            kind, value, k, n, compared = _worst_segment(first_gate, first_rows, min_sample)
            severity = Severity.LOW
            z, p_two = proportions_z(k, n, len(first_rows) - k, len(first_gate) - n)
            # One-sided, Bonferroni-corrected for picking the worst of the segments.
            p_concentrated = min(1.0, p_two / 2 * compared) if z > 0 else 1.0
            rest_k, rest_n = len(first_rows) - k, len(first_gate) - n
            ratio = (k / n) / (rest_k / rest_n) if rest_k and n else math.inf
            if n_fail >= opts.min_failures:
                low = (wilson_interval(k, n) or (0.0, 1.0))[0]
                cause_rate = opts.cause_rate
                focused = ratio >= opts.concentration_ratio
                if low > cause_rate:
                    severity = Severity.HIGH
                elif focused and (
                        (k / n > cause_rate and p_concentrated < opts.segment_alpha)
                        or (p_concentrated < opts.concentration_alpha
                            and k / n > cause_rate / 2)):
                    severity = Severity.MEDIUM
            versions = rows.groupby("prompt_version").size().sort_values(ascending=False)
            role = rows["agent_role"].mode()
            stage = rows["stage"].mode()
            top_version = None
            if kind == "prompt_version":
                top_version = value
            elif len(versions):
                top_version = str(versions.index[0])
            rate = n_fail / checks
            findings.append(Finding(
                pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
                key={"gate_id": str(gate_id), "cause": cause},
                title=(f"{gate_id} fails {rate:.0%} of checks for '{cause}' "
                       f"({n_fail} of {checks}"
                       + (f"; {k / n:.0%} on {kind} {value})" if kind != "all" else ")")),
                severity=severity,
                metric="cause_failure_rate",
                value=r(rate) or 0.0,
                interval=wilson_interval(n_fail, checks),
                sample_size=checks,
                threshold=opts.cause_rate,
                baseline=r(gate_rate),
                impact=float(n_fail),
                thin_evidence=thin(checks, settings) or n_fail < opts.min_failures,
                agent_role=str(role.iloc[0]) if len(role) else None,
                prompt_version=top_version,
                evidence=GateCauseEvidence(
                    gate_id=str(gate_id),
                    stage=str(stage.iloc[0]) if len(stage) else None,
                    cause=cause,
                    failures=n_fail,
                    gate_failures=len(gate_failed),
                    gate_checks=checks,
                    gate_failure_rate=r(gate_rate),
                    share_of_failures=r(n_fail / max(1, len(gate_failed))),
                    retries=int((rows["retry_attempt"].fillna(1) > 1).sum()),
                    phrasings=top_texts(rows["reason"]),
                    versions={str(v): int(c) for v, c in versions.items()},
                    segment=Segment(
                        by=kind, value=value, failures=k, checks=n, rate=r(k / n),
                        p_concentrated=r(p_concentrated),
                        rate_ratio=None if math.isinf(ratio) else r(ratio),
                    ),
                ),
                examples=examples(rows, "validation_reason"),
            ))
    return sorted(findings, key=lambda f: -f.impact)
