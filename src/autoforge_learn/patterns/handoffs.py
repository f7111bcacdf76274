"""Pattern 3 of 8: handoff smoothness between agent pairs.

A *handoff* A -> B is a stage execution of role B whose input came from role A: its
``upstream_agent_role``, else the role of the previous stage execution of the same
project (by time) when that role differs. Per pair:

* ``handoffs``: such executions;
* ``rejections``: downstream feedback from B on A's output with ``rejected`` true (at
  most one per handoff), and ``rejection_rate`` = rejections / handoffs, the ratio of
  the projects' sums with its delta-method interval (the project is the unit);
* ``downstream_pass_rate``: share of the handoffs where B's gates all passed on their
  first check;
* ``info_quality_score`` = upstream quality / (1 + downstream retries), where upstream
  quality = 1 - rejection_rate and downstream retries = B's mean retries per handoff:
  1.0 is a perfect handoff, lower is rougher.

A pair whose downstream role never reports feedback (anywhere in the selection) gives no
finding: its rejections are not recorded, so none can be claimed or ruled out.

Pairs are ranked by ``info_quality_score`` (smoothest first; the finding's ``impact``
is ``1 - score`` so the roughest sort first). The claim: B rejects A's output more
than ``rejection_rate`` (config) of the time, tested over projects (one-sided);
severity comes from the run's judged claims.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import FeedbackCount, Finding, HandoffEvidence, Pattern, Severity
from autoforge_learn.patterns.claims import ProjectCounts, interval, per_project, versus_threshold
from autoforge_learn.patterns.common import examples, r

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
    threshold = settings.handoff.rejection_rate
    runs = data.runs
    if runs.empty:
        return []
    pairs = handoff_runs(runs)
    feedback = data.feedback
    # A role that never reports downstream feedback has no rejection rate to measure
    # (0% would be absence of data read as a perfect handoff).
    reporting = set(feedback["reporting_agent"].dropna()) if len(feedback) else set()
    findings = []
    for (a, b), group in pairs.groupby(["from_role", "agent_role"], sort=True):
        if b not in reporting:
            continue
        rows = feedback[(feedback["agent_role"] == a) & (feedback["reporting_agent"] == b)]
        finding = _pair_finding(str(a), str(b), group, rows, threshold)
        if finding is not None:
            findings.append(finding)
    findings.sort(key=lambda f: (-f.impact, f.id))
    for rank, finding in enumerate(reversed(findings), start=1):
        assert isinstance(finding.evidence, HandoffEvidence)
        finding.evidence.smoothness_rank = rank
    return findings


def _rejections(handoffs: Any, rejected: Any) -> ProjectCounts:
    """Per project: rejections (at most one per handoff) and handoffs."""
    import numpy as np

    runs = per_project(handoffs, np.zeros(len(handoffs)))
    if len(rejected):
        per = rejected.groupby("project_id").size()
        hits = np.array([float(per.get(p, 0)) for p in runs.projects])
        runs = ProjectCounts(runs.projects, np.minimum(hits, runs.denominators), runs.denominators)
    return runs


def _pair_finding(a: str, b: str, group: Any, rows: Any, threshold: float) -> Finding | None:
    """The handoff finding of one pair: its rejection rate over projects, tested against
    the threshold."""
    rejected = rows[rows["rejected"].fillna(False).astype(bool)]
    counts = _rejections(group, rejected)
    est, hypothesis = versus_threshold(
        counts, threshold, claim=f"{b} rejects {a}'s output more than {threshold:.0%} of handoffs"
    )
    if est is None:
        return None
    n = len(group)
    k = int(counts.numerators.sum())
    passed = float(group["all_first_pass"].mean())
    retries = float(group["retries"].mean())
    score = (1 - est.value) / (1 + retries)
    texts = rows.groupby(["feedback", "severity"]).size().sort_values(
        ascending=False, kind="stable").head(5)
    return Finding(
        pattern=Pattern.HANDOFF,
        key={"from_role": a, "to_role": b},
        title=(f"{a} -> {b}: {est.value:.0%} rejected, {passed:.0%} first-time gate passes, "
               f"info quality {score:.2f} ({n} handoffs, {est.projects} projects)"),
        severity=Severity.LOW,
        metric="rejection_rate",
        value=r(est.value) or 0.0,
        interval=interval(est),
        sample_size=n,
        threshold=threshold,
        baseline=threshold,
        impact=r(1 - score) or 0.0,
        agent_role=a,
        evidence=HandoffEvidence(
            handoffs=n,
            rejections=k,
            rejection_rate=r(est.value),
            downstream_pass_rate=r(passed),
            downstream_avg_retries=r(retries),
            info_quality_score=r(score),
            feedback=[FeedbackCount(text=str(t), count=int(c), severity=str(s))
                      for (t, s), c in texts.items()],
        ),
        examples=examples(rejected, "feedback"),
        hypothesis=hypothesis,
        projects=est.projects,
    )
