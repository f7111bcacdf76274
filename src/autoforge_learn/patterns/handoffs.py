"""Pattern 3: handoff smoothness between agent pairs (spec 4.1).

A *handoff* A -> B is a stage execution of role B whose input came from role A: its
``upstream_agent_role``, else the role of the previous stage execution of the same
project (by time) when that role differs. Per pair:

* ``handoffs``: such executions;
* ``rejections``: downstream feedback from B on A's output with ``rejected`` true, and
  ``rejection_rate`` = rejections / handoffs (Wilson interval);
* ``downstream_pass_rate``: share of the handoffs where B's gates all passed on their
  first check;
* ``info_quality_score`` = upstream quality / (1 + downstream retries), where upstream
  quality = 1 - rejection_rate and downstream retries = B's mean retries per handoff:
  1.0 is a perfect handoff, lower is rougher.

Pairs are ranked by ``info_quality_score`` (smoothest first; the finding's ``impact``
is ``1 - score`` so the roughest sort first). Severity: ``high`` when the rejection
rate's Wilson lower bound exceeds ``rejection_rate`` (config), ``medium`` when the rate
does, else ``low``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import FeedbackCount, Finding, HandoffEvidence, Pattern
from autoforge_learn.patterns.common import examples, r, rate_severity, thin

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def handoff_runs(runs: Any) -> Any:
    """Stage runs with ``from_role`` (the upstream role), dropping runs without one."""
    runs = runs.sort_values(["project_id", "ts", "event_id"], kind="stable").copy()
    previous = runs.groupby("project_id")["agent_role"].shift(1)
    upstream = runs["upstream_agent_role"]
    runs["from_role"] = upstream.where(upstream.notna(), previous)
    keep = runs["from_role"].notna() & (runs["from_role"] != runs["agent_role"])
    return runs[keep]


def detect_handoffs(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 3, one per agent pair."""
    from autoforge_learn.stats import wilson_interval

    threshold = settings.handoff.rejection_rate
    runs = data.runs
    if runs.empty:
        return []
    pairs = handoff_runs(runs)
    fb = data.feedback
    findings = []
    for (a, b), group in pairs.groupby(["from_role", "agent_role"], sort=True):
        n = len(group)
        rows = fb[(fb["agent_role"] == a) & (fb["reporting_agent"] == b)]
        rejected = rows[rows["rejected"].fillna(False).astype(bool)]
        k = min(len(rejected), n)
        rate = k / n
        passed = float(group["all_first_pass"].mean())
        retries = float(group["retries"].mean())
        score = (1 - rate) / (1 + retries)
        counts = rows.groupby(["feedback", "severity"]).size().sort_values(
            ascending=False, kind="stable").head(5)
        findings.append(Finding(
            pattern=Pattern.HANDOFF,
            key={"from_role": str(a), "to_role": str(b)},
            title=(f"{a} -> {b}: {rate:.0%} rejected, {passed:.0%} first-time gate passes, "
                   f"info quality {score:.2f} ({n} handoffs)"),
            severity=rate_severity(k, n, threshold),
            metric="rejection_rate",
            value=r(rate) or 0.0,
            interval=wilson_interval(k, n),
            sample_size=n,
            threshold=threshold,
            impact=r(1 - score) or 0.0,
            thin_evidence=thin(n, settings),
            agent_role=str(a),
            evidence=HandoffEvidence(
                handoffs=n,
                rejections=k,
                rejection_rate=r(rate),
                downstream_pass_rate=r(passed),
                downstream_avg_retries=r(retries),
                info_quality_score=r(score),
                feedback=[FeedbackCount(text=str(t), count=int(c), severity=str(s))
                          for (t, s), c in counts.items()],
            ),
            examples=examples(rejected, "feedback"),
        ))
    findings.sort(key=lambda f: (-f.impact, f.id))
    for rank, finding in enumerate(reversed(findings), start=1):
        assert isinstance(finding.evidence, HandoffEvidence)
        finding.evidence.smoothness_rank = rank
    return findings
