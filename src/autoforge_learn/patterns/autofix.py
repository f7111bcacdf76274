"""Pattern 8 of 8: auto-fix strategies.

``success_rate`` = checks whose auto-fix succeeded / checks where the strategy was
applied, over projects (the ratio of the projects' sums, delta-method interval).
Strategies are ranked by their *shrunk* rate: pulled towards the pooled rate of all
strategies by ``prior_strength`` attempts' worth (a beta prior centred on the pooled
rate; each strategy's attempts discounted for their clustering in projects), so that a
few lucky attempts do not win. Among strategies with at least ``min_attempts``
attempts, the top one is marked ``best`` and the bottom one ``worst``. The claim of
each strategy: its success rate differs from the other strategies' pooled rate
(two-sided, over projects); a discovery below them is a strategy to retire, above them
one to promote. Impact = failed attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import AutoFixEvidence, Finding, Pattern, Severity
from autoforge_learn.patterns.claims import (
    ProjectCounts,
    estimate,
    interval,
    per_project,
    versus_group,
)
from autoforge_learn.patterns.common import examples, r

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_autofix(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 8, one per strategy, ranked by shrunk success rate."""
    g = data.gates
    applied = g[g["auto_fix_applied"].fillna(False).astype(bool) & g["auto_fix_strategy"].notna()]
    if applied.empty:
        return []
    applied = applied.assign(ok=applied["auto_fix_success"].fillna(False).astype(bool))
    names = sorted(str(n) for n in applied["auto_fix_strategy"].unique())
    counts = {
        name: per_project(rows, rows["ok"])
        for name, rows in applied.groupby("auto_fix_strategy", sort=True)
    }
    shrunk = _shrunk_rates(counts, settings.auto_fix_strategy.prior_strength)
    eligible = [n for n in names if _attempts(counts[n]) >= settings.auto_fix_strategy.min_attempts]
    best = max(eligible, key=lambda s: (shrunk[s], s)) if eligible else None
    worst = min(eligible, key=lambda s: (shrunk[s], s)) if len(eligible) > 1 else None
    ranked = sorted(names, key=lambda s: (-shrunk[s], s))
    findings = []
    for rank, name in enumerate(ranked, start=1):
        rows = applied[applied["auto_fix_strategy"] == name]
        others = applied[applied["auto_fix_strategy"] != name]
        findings.append(_strategy_finding(
            name, rows, others, rank=rank, shrunk=shrunk[name], best=name == best,
            worst=name == worst,
        ))
    return findings


def _attempts(counts: ProjectCounts) -> int:
    return int(counts.denominators.sum())


def _shrunk_rates(counts: dict[Any, ProjectCounts], strength: float) -> dict[str, float]:
    """Each strategy's success rate shrunk towards the pooled rate of all strategies:
    ``(k + m * pooled) / (n + m)``, ``m`` = ``prior_strength`` attempts' worth, with
    ``k`` and ``n`` the strategy's *effective* successes and attempts (``n`` = the
    binomial sample size with its project-level variance, at most its attempts: attempts
    of one project count less than independent ones). A few lucky attempts do not make a
    strategy the best, and a perfect record of many is not pulled below a good one (as a
    normal approximation on the logit scale, whose error is unbounded at 100%, did)."""
    total_k = sum(float(c.numerators.sum()) for c in counts.values())
    total_n = sum(float(c.denominators.sum()) for c in counts.values())
    pooled = total_k / total_n if total_n else 0.5
    out = {}
    for name, c in counts.items():
        k, n = float(c.numerators.sum()), float(c.denominators.sum())
        rate = k / n if n else pooled
        est = estimate(c)
        if est is not None and est.projects > 1 and est.se > 0 and 0 < rate < 1:
            n = min(n, rate * (1 - rate) / est.se**2)
        out[str(name)] = (rate * n + strength * pooled) / (n + strength)
    return out


def _strategy_finding(
    name: str, rows: Any, others: Any, *, rank: int, shrunk: float, best: bool, worst: bool
) -> Finding:
    """One strategy's success rate against the other strategies', over projects."""
    mine = per_project(rows, rows["ok"])
    rest = per_project(others, others["ok"]) if len(others) else None
    cmp, hypothesis = (None, None)
    if rest is not None:
        cmp, hypothesis = versus_group(
            mine,
            rest,
            claim=f"{name} succeeds at a different rate than the other strategies",
            baseline_name="the other strategies, pooled",
            alternative="two-sided",
        )
    est = estimate(mine)
    assert est is not None
    n, k = len(rows), int(rows["ok"].sum())
    role = rows["agent_role"].mode()
    mark = " (best)" if best else " (worst)" if worst else ""
    return Finding(
        pattern=Pattern.AUTO_FIX_STRATEGY,
        key={"strategy": name},
        title=(f"{name}: {est.value:.0%} success ({k} of {n}, {est.projects} projects), "
               f"rank {rank}{mark}"),
        severity=Severity.LOW,
        metric="success_rate",
        value=r(est.value) or 0.0,
        interval=interval(est),
        sample_size=n,
        baseline=r(cmp.b.value) if cmp is not None else None,
        impact=float(n - k),
        agent_role=str(role.iloc[0]) if len(role) else None,
        evidence=AutoFixEvidence(
            attempts=n, successes=k, success_rate=r(est.value), rank=rank,
            shrunk_rate=r(shrunk), best=best, worst=worst,
            gates=sorted(str(g) for g in rows["gate_id"].dropna().unique().tolist()),
        ),
        examples=examples(rows[~rows["ok"]], "validation_reason"),
        hypothesis=hypothesis,
        projects=est.projects,
    )
