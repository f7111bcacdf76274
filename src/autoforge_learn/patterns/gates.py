"""Pattern 1 of 8: gate failure root causes.

The unit of a rate is the *gate run*: a gate's first checks of one stage output (a gate
may check several artifacts of one output, each a gate check; retries, which repeat a
cause, are not counted). A gate run fails when any of its first checks fails, and fails
for a cause when any of them fails for it. Checks linked to no stage output form one
run per project, stage and check. For a gate whose runs fail more than
``gate_failure_rate`` of the time, the failure reasons are clustered
(:mod:`.clustering`) and the ``top_n`` clusters by failures become findings.

Per cluster (cause), with the project as the unit throughout:

* ``value`` = the cause's run rate (the gate's runs failing for the cause / its runs,
  the ratio of the projects' sums), overall or in the prompt version or platform the
  claim names, with its delta-method interval;
* the claim: the cause fails more than ``cause_rate`` of the gate's runs, overall or in
  one prompt version or platform (each candidate with at least ``min_group_projects``
  projects is tested, one-sided; the smallest p-value is Bonferroni-corrected for the
  candidates tried);
* the *segment*: the prompt version or platform where the cause is most concentrated
  against the rest of the gate's runs (one-sided Welch over projects,
  Bonferroni-corrected for the segments compared): a cause tied to one prompt version
  beyond chance is one a prompt change can fix;
* ``by_version``: the cause's run rate per prompt version and the p-value that versions
  differ (each against the others, two-sided, Bonferroni-corrected); for a cause
  concentrated on one platform (``concentration_alpha``), on that platform's runs only,
  so that versions used by more projects of that platform do not differ for it;
* ``retries`` = failing checks of the cause that were themselves a retry
  (``retry_attempt > 1``), i.e. the cause came back after a retry;
* impact = cause failures (what fixing it would save).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import (
    Finding,
    GateCauseEvidence,
    Pattern,
    Segment,
    Severity,
    VersionRate,
)
from autoforge_learn.patterns.claims import (
    ProjectCounts,
    estimate,
    interval,
    versus_group,
    versus_threshold,
)
from autoforge_learn.patterns.clustering import cluster_reasons
from autoforge_learn.patterns.common import examples, r, top_texts
from autoforge_learn.stats.projects import Estimate

if TYPE_CHECKING:
    from autoforge_learn.findings import Hypothesis

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings

NO_REASON = "(no reason given)"
#: The columns of the gate checks this detector reads.
_COLUMNS = ("event_id", "project_id", "ts", "stage", "agent_role", "prompt_version", "platform",
            "gate_id", "validation_result", "validation_reason", "retry_attempt")


def gate_clusters(gates: Any, settings: PatternSettings) -> Any:
    """The failing checks of ``gates`` with a ``cause`` label and ``cluster`` id per gate."""
    opts = settings.gate_failure_root_cause
    failed = gates[gates["validation_result"] != "pass"].copy()
    failed["reason"] = failed["validation_reason"].fillna("").astype(str)
    failed["cause"] = NO_REASON
    failed["cluster"] = -1
    for _gate_id, group in failed.groupby("gate_id", sort=True):
        labels, clusters = cluster_reasons(
            [t or NO_REASON for t in group["reason"].tolist()],
            template_similarity=opts.template_similarity,
            merge_distance=opts.merge_distance,
            links=_retry_links(group) if opts.use_retry_links else (),
            min_links=opts.min_links,
        )
        failed.loc[group.index, "cluster"] = labels
        failed.loc[group.index, "cause"] = [clusters[k].label for k in labels]
    return failed


def _retry_links(group: Any) -> list[tuple[int, int]]:
    """Positional pairs of failing checks of one gate that are one artifact's check and
    its retry failing again (usually for the same cause): in one project and stage, the
    next failing check in time, when its attempt is one more.

    A gate checks several artifacts of one output, each in turn until it passes: the
    checks of one attempt number belong to different artifacts, so a retry is found by
    order, not by its attempt number alone (an artifact that passes on a retry is
    followed by another artifact's first check, attempt 1: no link).
    """
    order = group.reset_index(drop=True)
    order = order.assign(_pos=range(len(order))).sort_values(
        ["project_id", "stage", "ts", "event_id"], kind="stable")
    projects = order["project_id"].tolist()
    stages = order["stage"].tolist()
    attempts = order["retry_attempt"].fillna(1).astype(int).tolist()
    positions = order["_pos"].tolist()
    out = []
    for i in range(len(order) - 1):
        same = projects[i] == projects[i + 1] and stages[i] == stages[i + 1]
        if same and attempts[i + 1] == attempts[i] + 1:
            out.append((positions[i], positions[i + 1]))
    return out


def gate_runs(first: Any, stages: Any) -> Any:
    """First checks with a ``gate_run`` key: the stage output they check (the one
    linking rule, :func:`autoforge_learn.dataset.links.link_events`) and the gate, or,
    for a check linked to no output, the check itself."""
    from autoforge_learn.dataset.links import link_events

    linked = link_events(first, stages, "during") if len(stages) else None
    output = (linked.fillna("").astype(str) if linked is not None
              else first["event_id"].map(lambda _: ""))
    own = first["event_id"].astype(str)
    key = first["gate_id"].astype(str) + "|" + output.where(output != "", "check:" + own)
    return first.assign(gate_run=key)


@dataclass(frozen=True)
class _GateRuns:
    """One gate's runs: one row per run (its project, prompt version and platform;
    ``event_id`` is the run's key), for each first check the row of its run, and each
    run's project as a code into the sorted projects.

    Built once per gate: only which runs a cause hits changes from cause to cause, and
    every per-project count below is a sum over codes (grouping the checks again for
    every cause, and the projects for every segment, took most of this detector's time).
    """

    table: Any
    of_check: np.ndarray
    check_rows: np.ndarray
    codes: np.ndarray
    projects: np.ndarray

    @classmethod
    def of(cls, first_gate: Any) -> _GateRuns:
        import pandas as pd

        table = (first_gate.groupby("gate_run", sort=False)
                 .agg(project_id=("project_id", "first"),
                      prompt_version=("prompt_version", "first"),
                      platform=("platform", "first"))
                 .reset_index().rename(columns={"gate_run": "event_id"}))
        of_check = pd.Index(table["event_id"]).get_indexer(first_gate["gate_run"])
        codes, projects = pd.factorize(np.asarray(table["project_id"], dtype=object), sort=True)
        return cls(table, np.asarray(of_check), np.asarray(first_gate.index),
                   np.asarray(codes), np.asarray(projects, dtype=object))

    def hit_by(self, hit_rows: Any) -> np.ndarray:
        """Per run, whether any of its first checks is among ``hit_rows`` (row labels of
        the checks frame: integers, cheaper to match than event ids)."""
        hit_checks = np.isin(self.check_rows, np.asarray(hit_rows))
        return np.bincount(self.of_check, weights=hit_checks, minlength=len(self.table)) > 0

    @functools.cached_property
    def segments(self) -> dict[str, list[tuple[Any, np.ndarray]]]:
        """Per column (``prompt_version``, ``platform``): each distinct value (sorted,
        missing ones left out) with the mask of its runs; the same for every cause."""
        out: dict[str, list[tuple[Any, np.ndarray]]] = {}
        for column in ("prompt_version", "platform"):
            values = self.table[column]
            out[column] = [(v, (values == v).to_numpy(dtype=bool)) for v in _values(values)]
        return out

    def counts(self, keep: np.ndarray, hits: np.ndarray) -> ProjectCounts:
        """Hits and runs per project of the runs ``keep`` selects: what
        ``per_project(table[keep], hits[keep])`` gives (the same sums, in the same
        order), without factorizing the projects again."""
        codes, size = self.codes[keep], len(self.projects)
        num = np.bincount(codes, weights=hits[keep].astype(float), minlength=size)
        den = np.bincount(codes, minlength=size).astype(float)
        present = den > 0
        return ProjectCounts(self.projects[present], num[present], den[present])


def _values(column: Any) -> list[Any]:
    """The column's distinct values, sorted, without missing ones."""
    return sorted(column.dropna().unique())


def _rate_claim(
    gate_id: str, cause: str, gate: _GateRuns, hits: np.ndarray, settings: PatternSettings
) -> tuple[Estimate | None, Hypothesis | None]:
    """The claim that the cause fails more than ``cause_rate`` of the gate's runs,
    overall or in one prompt version or platform: each candidate (with enough projects)
    is tested over projects, and the smallest p-value is Bonferroni-corrected for the
    candidates tried. Returns the overall estimate (or the chosen segment's) and the
    claim."""
    threshold = settings.gate_failure_root_cause.cause_rate
    everything = np.ones(len(hits), dtype=bool)
    candidates: list[tuple[str, Any]] = [("", everything)]
    for column, word in (("prompt_version", "in"), ("platform", "on")):
        for value, mask in gate.segments[column]:
            candidates.append((f" {word} {value}", mask))
    tried: list[tuple[float, Estimate, Hypothesis]] = []
    for where, mask in candidates:
        counts = gate.counts(mask, hits)
        if where and counts.size < settings.min_group_projects:
            continue
        est, hyp = versus_threshold(
            counts, threshold,
            claim=f"'{cause}' makes {gate_id} fail more than {threshold:.0%} of its "
            f"runs{where}",
        )
        if est is not None and hyp is not None:
            tried.append((hyp.p_value, est, hyp))
    if not tried:
        return estimate(gate.counts(everything, hits)), None
    p, est, hyp = min(tried, key=lambda t: t[0])
    return est, replace(hyp, p_value=min(1.0, p * len(tried)),
                        test=f"{hyp.test}; Bonferroni over {len(tried)} segments")


def _segment(gate: _GateRuns, hits: np.ndarray, settings: PatternSettings) -> Segment:
    """Where the cause is most concentrated: each prompt version and platform with
    enough projects is compared with the rest of the gate's runs (one-sided,
    over projects); the smallest p-value, Bonferroni-corrected for the segments
    compared, says whether the cause is tied to one of them."""
    best: tuple[float, str, str, Any, np.ndarray] | None = None
    compared = 0
    for column in ("prompt_version", "platform"):
        for value, inside in gate.segments[column]:
            mine, rest = gate.counts(inside, hits), gate.counts(~inside, hits)
            if min(mine.size, rest.size) < settings.min_group_projects:
                continue
            compared += 1
            cmp = versus_group(mine, rest, claim="", baseline_name="")[0]
            if cmp is not None and (best is None or cmp.p_value < best[0]):
                best = (cmp.p_value, column, str(value), cmp, inside)
    if best is None:
        k, n = int(hits.sum()), len(hits)
        return Segment(by="all", value="all", failures=k, checks=n,
                       rate=r(k / n) if n else None, p_concentrated=None, rate_ratio=None)
    p, column, value, cmp, inside = best
    k, n = int(hits[inside].sum()), int(inside.sum())
    ratio = cmp.a.value / cmp.b.value if cmp.b.value > 0 else math.inf
    return Segment(
        by=column, value=value, failures=k, checks=n, rate=r(cmp.a.value),
        p_concentrated=r(min(1.0, p * compared)),
        rate_ratio=None if math.isinf(ratio) else r(ratio),
    )


def _by_version(
    gate: _GateRuns, hits: np.ndarray, within: np.ndarray, settings: PatternSettings
) -> tuple[list[VersionRate], float | None]:
    """The cause's run rate per prompt version (over projects) among the runs ``within``
    selects, and the p-value that it differs between versions (each version against the
    others, two-sided, Bonferroni-corrected for the versions compared)."""
    rates, p_values = [], []
    for version, mask in gate.segments["prompt_version"]:
        inside = within & mask
        if not inside.any():
            continue
        mine = gate.counts(inside, hits)
        est = estimate(mine)
        if est is None:
            continue
        rates.append(VersionRate(
            version=str(version), failures=int(hits[inside].sum()), checks=int(inside.sum()),
            projects=est.projects, rate=r(est.value), low=r(est.low), high=r(est.high),
        ))
        rest = gate.counts(within & ~inside, hits)
        if min(mine.size, rest.size) >= settings.min_group_projects:
            cmp = versus_group(mine, rest, claim="", baseline_name="",
                               alternative="two-sided")[0]
            if cmp is not None:
                p_values.append(cmp.p_value)
    p = min(1.0, min(p_values) * len(p_values)) if len(p_values) > 1 else None
    return rates, r(p) if p is not None else None


def detect_gate_root_causes(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 1, the top causes of each frequently failing gate."""
    opts = settings.gate_failure_root_cause
    gates = data.gates
    if gates.empty:
        return []
    # The columns read here alone, and unique row labels (which identify a check from
    # frame to frame below): every filter of the frame copies each of its columns.
    gates = gates[list(_COLUMNS)].reset_index(drop=True)
    failed = gate_clusters(gates, settings)
    first_all = gate_runs(gates[gates["retry_attempt"].fillna(1) <= 1], data.stages)
    failed_of = dict(tuple(failed.groupby("gate_id", sort=False)))
    first_of = dict(tuple(first_all.groupby("gate_id", sort=False)))
    findings: list[Finding] = []
    for gate_id, gate_rows in gates.groupby("gate_id", sort=True):
        gate_failed = failed_of.get(gate_id, failed.iloc[:0])
        gate_runs_ = _GateRuns.of(first_of.get(gate_id, first_all.iloc[:0]))
        hit = gate_runs_.hit_by(gate_failed.index)
        overall = estimate(gate_runs_.counts(np.ones(len(hit), dtype=bool), hit))
        if overall is None or overall.value <= opts.gate_failure_rate:
            continue
        sizes = gate_failed.groupby("cluster").size().sort_values(ascending=False, kind="stable")
        for cluster_id in list(sizes.index)[: opts.top_n]:
            rows = gate_failed[gate_failed["cluster"] == cluster_id]
            finding = _cause_finding(str(gate_id), gate_rows, gate_runs_, gate_failed, rows,
                                     overall, settings)
            if finding is not None:
                findings.append(finding)
    return sorted(findings, key=lambda f: -f.impact)


def _cause_finding(
    gate_id: str,
    gate_rows: Any,
    first_checks: _GateRuns,
    gate_failed: Any,
    rows: Any,
    overall: Estimate,
    settings: PatternSettings,
) -> Finding | None:
    """One cause of one gate: its run rate over projects, tested against ``cause_rate``,
    with the segment it is most concentrated in."""
    opts = settings.gate_failure_root_cause
    cause = str(rows["cause"].iloc[0])
    hits = first_checks.hit_by(rows.index)
    est, hypothesis = _rate_claim(gate_id, cause, first_checks, hits, settings)
    if est is None:
        return None
    segment = _segment(first_checks, hits, settings)
    # A cause concentrated on one platform is compared between versions on that
    # platform: versions used by more or fewer projects of it would differ otherwise.
    within = np.ones(len(hits), dtype=bool)
    if segment.by == "platform" and segment.p_concentrated is not None and (
            segment.p_concentrated <= opts.concentration_alpha):
        within = (first_checks.table["platform"] == segment.value).to_numpy(dtype=bool)
    by_version, p_versions = _by_version(first_checks, hits, within, settings)
    checks, n_fail = len(gate_rows), len(rows)
    versions = rows.groupby("prompt_version").size().sort_values(ascending=False)
    role, stage = rows["agent_role"].mode(), rows["stage"].mode()
    top_version = segment.value if segment.by == "prompt_version" else (
        str(versions.index[0]) if len(versions) else None)
    where = f"; {segment.rate:.0%} on {segment.by} {segment.value}" if (
        segment.by != "all" and segment.rate is not None) else ""
    return Finding(
        pattern=Pattern.GATE_FAILURE_ROOT_CAUSE,
        key={"gate_id": gate_id, "cause": cause},
        title=(f"{gate_id} fails {est.value:.0%} of its runs for '{cause}' "
               f"({n_fail} failures in {checks} checks, {est.projects} projects{where})"),
        severity=Severity.LOW,
        metric="cause_failure_rate",
        value=r(est.value) or 0.0,
        interval=interval(est),
        sample_size=checks,
        threshold=opts.cause_rate,
        baseline=opts.cause_rate,
        impact=float(n_fail),
        agent_role=str(role.iloc[0]) if len(role) else None,
        prompt_version=top_version,
        evidence=GateCauseEvidence(
            gate_id=gate_id,
            stage=str(stage.iloc[0]) if len(stage) else None,
            cause=cause,
            failures=n_fail,
            gate_failures=len(gate_failed),
            gate_checks=checks,
            gate_failure_rate=r(overall.value),
            share_of_failures=r(n_fail / max(1, len(gate_failed))),
            retries=int((rows["retry_attempt"].fillna(1) > 1).sum()),
            phrasings=top_texts(rows["reason"]),
            versions={str(v): int(c) for v, c in versions.items()},
            segment=segment,
            by_version=by_version,
            p_versions_differ=p_versions,
        ),
        examples=examples(rows, "validation_reason"),
        hypothesis=hypothesis,
        projects=est.projects,
    )
