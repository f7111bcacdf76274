"""Pattern 8: auto-fix strategies (spec 4.1).

``success_rate`` = checks whose auto-fix succeeded / checks where the strategy was
applied, with a Wilson interval; strategies are ranked by success rate (ties: more
attempts first). Among strategies with at least ``min_attempts`` attempts, the one with
the highest *shrunk* rate ``(successes + a * pooled) / (attempts + a)`` (a Beta prior of
strength ``a`` = ``prior_strength`` at the pooled rate of all strategies, so that a few
lucky attempts do not win) is marked ``best`` (severity ``info``: context to promote)
and the one with the lowest ``worst``; the
worst is ``high`` when its interval's upper bound lies below the pooled success rate of
all other strategies, else ``medium``. Other strategies are ``low``. Impact = failed
attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import AutoFixEvidence, Finding, Pattern, Severity
from autoforge_learn.patterns.common import examples, r, thin

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def detect_autofix(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 8, one per strategy, ranked best first."""
    from autoforge_learn.stats import wilson_interval

    min_attempts = settings.auto_fix_strategy.min_attempts
    g = data.gates
    applied = g[g["auto_fix_applied"].fillna(False).astype(bool) & g["auto_fix_strategy"].notna()]
    if applied.empty:
        return []
    applied = applied.assign(ok=applied["auto_fix_success"].fillna(False).astype(bool))
    stats = applied.groupby("auto_fix_strategy").agg(attempts=("ok", "size"),
                                                     successes=("ok", "sum"))
    stats["rate"] = stats["successes"] / stats["attempts"]
    stats = stats.reset_index().sort_values(["rate", "attempts", "auto_fix_strategy"],
                                            ascending=[False, False, True], kind="stable")
    total_k, total_n = int(stats["successes"].sum()), int(stats["attempts"].sum())
    strength = settings.auto_fix_strategy.prior_strength
    pooled = total_k / total_n
    shrunk = {str(row.auto_fix_strategy):
              (int(row.successes) + strength * pooled) / (int(row.attempts) + strength)
              for row in stats.itertuples(index=False)}
    eligible = stats[stats["attempts"] >= min_attempts]["auto_fix_strategy"].tolist()
    best = max(eligible, key=lambda s: (shrunk[s], s)) if eligible else None
    worst = min(eligible, key=lambda s: (shrunk[s], s)) if len(eligible) > 1 else None
    findings = []
    for rank, row in enumerate(stats.itertuples(index=False), start=1):
        name, n, k = str(row.auto_fix_strategy), int(row.attempts), int(row.successes)
        interval = wilson_interval(k, n)
        severity = Severity.LOW
        if name == best:
            severity = Severity.INFO
        elif name == worst:
            others = (total_k - k) / max(1, total_n - n)
            severity = Severity.HIGH if interval and interval[1] < others else Severity.MEDIUM
        rows = applied[applied["auto_fix_strategy"] == name]
        role = rows["agent_role"].mode()
        mark = " (best)" if name == best else " (worst)" if name == worst else ""
        findings.append(Finding(
            pattern=Pattern.AUTO_FIX_STRATEGY,
            key={"strategy": name},
            title=f"{name}: {k / n:.0%} success ({k} of {n}), rank {rank}{mark}",
            severity=severity,
            metric="success_rate",
            value=r(k / n) or 0.0,
            interval=interval,
            sample_size=n,
            baseline=r(total_k / total_n) if total_n else None,
            impact=float(n - k),
            thin_evidence=thin(n, settings) or n < min_attempts,
            agent_role=str(role.iloc[0]) if len(role) else None,
            evidence=AutoFixEvidence(
                attempts=n, successes=k, success_rate=r(k / n), rank=rank,
                shrunk_rate=r(shrunk[name]), best=name == best, worst=name == worst,
                gates=sorted(str(g) for g in rows["gate_id"].dropna().unique().tolist()),
            ),
            examples=examples(rows[~rows["ok"]], "validation_reason"),
        ))
    return findings
