"""Pattern 5: token efficiency (spec 4.1).

Per prompt version: ``avg_tokens_per_success`` = (input + output tokens of all its stage
executions) / executions that succeeded. Each version is compared with its role's best
(lowest) version: ``excess_ratio`` = avg / best - 1. A version is flagged when
``excess_ratio > excess`` (spec: 20%) and its quality is equal or worse: its first-time
pass rate (share of executions whose gates all passed on the first check) is not
significantly better than the best's (one-sided two-proportion z-test, ``alpha``).
Severity of a flagged version: ``high`` with at least ``min_sample`` executions, else
``medium``; others ``low``. Impact = excess tokens, ``(avg - best) * successes``. The
interval is the t interval of the mean tokens per execution divided by the success
share (approximate: the share is taken as known).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, Pattern, Severity, TokenEvidence
from autoforge_learn.patterns.common import r, thin

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def proportions_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Two-proportion z-test with the pooled variance (as statsmodels'
    ``proportions_ztest``): returns ``(z, two-sided p)`` for rate1 - rate2."""
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def _interval(runs: Any, version: str, success_share: float) -> tuple[float, float] | None:
    """Student-t interval of the mean tokens per execution, divided by the success share
    (so approximately an interval of tokens per successful output)."""
    from autoforge_learn.stats import mean_interval

    if success_share <= 0:
        return None
    rows = runs[runs["prompt_version"] == version]
    tokens = (rows["input_tokens"].fillna(0) + rows["output_tokens"].fillna(0)).to_numpy(
        dtype=float)
    interval = mean_interval(tokens)
    if interval is None:
        return None
    return (round(interval[0] / success_share, 1), round(interval[1] / success_share, 1))


def version_table(runs: Any) -> Any:
    """Per prompt version: role, runs, successes, tokens, first-pass count and averages."""
    runs = runs[runs["prompt_version"].notna()].copy()
    runs["tokens"] = runs["input_tokens"].fillna(0) + runs["output_tokens"].fillna(0)
    runs["ok"] = runs["succeeded"].fillna(False).astype(bool)
    table = runs.groupby("prompt_version").agg(
        agent_role=("agent_role", "first"), runs=("tokens", "size"), tokens=("tokens", "sum"),
        successes=("ok", "sum"), first_pass=("all_first_pass", "sum"),
        first_seen=("ts", "min"),
    )
    table["avg"] = table["tokens"] / table["successes"].where(table["successes"] > 0)
    return table.reset_index()


def detect_token_efficiency(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 5, one per prompt version."""
    from autoforge_learn.stats import wilson_interval

    opts = settings.token_efficiency
    excess, alpha = opts.excess, opts.alpha
    runs = data.runs
    if runs.empty:
        return []
    table = version_table(runs)
    findings = []
    for role, group in table.groupby("agent_role", sort=True):
        valid = group[group["avg"].notna()]
        if valid.empty:
            continue
        best = valid.sort_values(["avg", "prompt_version"]).iloc[0]
        for row in valid.itertuples(index=False):
            ratio = row.avg / best.avg - 1
            n, bn = int(row.runs), int(best.runs)
            z, p_two = proportions_z(int(row.first_pass), n, int(best.first_pass), bn)
            p_better = p_two / 2 if z > 0 else 1 - p_two / 2
            flagged = ratio > excess and p_better >= alpha
            severity = Severity.LOW
            if flagged:
                severity = Severity.HIGH if n >= settings.min_sample else (
                    Severity.MEDIUM)
            findings.append(Finding(
                pattern=Pattern.TOKEN_EFFICIENCY,
                key={"prompt_version": str(row.prompt_version)},
                title=(f"{row.prompt_version}: {row.avg:,.0f} tokens per successful output, "
                       f"{ratio:+.0%} vs {best.prompt_version}"),
                severity=severity,
                metric="avg_tokens_per_success",
                value=r(row.avg, 1) or 0.0,
                interval=_interval(runs, str(row.prompt_version), row.successes / n),
                sample_size=n,
                threshold=r(best.avg * (1 + excess), 1),
                baseline=r(best.avg, 1),
                impact=r(max(0.0, row.avg - best.avg) * row.successes, 1) or 0.0,
                thin_evidence=thin(n, settings),
                agent_role=str(role),
                prompt_version=str(row.prompt_version),
                evidence=TokenEvidence(
                    avg_tokens_per_success=r(row.avg, 1),
                    best_version=str(best.prompt_version),
                    best_avg_tokens=r(best.avg, 1),
                    excess_ratio=r(ratio),
                    pass_rate=r(row.first_pass / n),
                    pass_rate_interval=list(wilson_interval(int(row.first_pass), n) or []),
                    best_pass_rate=r(best.first_pass / bn),
                    p_better_quality=r(p_better),
                    executions=n,
                    successes=int(row.successes),
                ),
            ))
    return sorted(findings, key=lambda f: -f.impact)
