"""Pattern 8: auto-fix strategies (spec 4.1).

``success_rate`` = checks whose auto-fix succeeded / checks where the strategy was
applied, over projects (the ratio of the projects' sums, delta-method interval).
Strategies are ranked by their *shrunk* rate: partially pooled towards the others
(empirical Bayes on the logit scale with project-level standard errors, see
:mod:`autoforge_learn.stats.pooling`), so that a few lucky attempts do not win. Among
strategies with at least ``min_attempts`` attempts, the top one is marked ``best`` and
the bottom one ``worst``. The claim of each strategy: its success rate differs from
the other strategies' pooled rate (two-sided, over projects); a discovery below them is
a strategy to retire, above them one to promote. Impact = failed attempts.
"""

from __future__ import annotations

import math
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
    shrunk = _shrunk_rates(counts)
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


def _shrunk_rates(counts: dict[Any, ProjectCounts]) -> dict[str, float]:
    """Each strategy's success rate partially pooled towards the others' (empirical
    Bayes on the logit scale, with project-level standard errors), so that a few lucky
    attempts do not make a strategy the best."""
    from autoforge_learn.stats.pooling import partial_pool

    names, logits, ses = [], [], []
    for name, c in counts.items():
        k, n = float(c.numerators.sum()), float(c.denominators.sum())
        p = (k + 0.5) / (n + 1)  # continuity: 0 and 1 have a finite logit
        est = estimate(c)
        # every project alike (all attempts succeeded, say): the binomial floor below,
        # not a large guess that would shrink a perfect record to the mean
        se = est.se if est is not None and est.projects > 1 else 0.5
        se = max(se, math.sqrt(p * (1 - p) / (n + 1)))
        names.append(str(name))
        logits.append(math.log(p / (1 - p)))
        ses.append(se / (p * (1 - p)))
    pooled = partial_pool(logits, ses)
    return {n: 1 / (1 + math.exp(-x)) for n, x in zip(names, pooled.estimates, strict=True)}


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
