"""Pattern 5 of 8: token efficiency.

Per prompt version: ``avg_tokens_per_success`` = (input + output tokens of its stage
executions) / executions that succeeded, over projects (the ratio of the projects'
sums). Each version is compared with the other versions of its role, pooled (never with
the lowest of many noisy versions): ``excess_ratio`` = avg / baseline - 1. The claim:
the version uses more than ``excess`` (default 20%) more tokens per success than the
baseline, tested over projects (Welch t on the delta-method linearized ratios,
one-sided). Its quality (first-time pass rate, the share of executions whose gates all
passed on the first check) is compared with the version used before it (by first use;
the first version with the others), since a pool of versions holds old failures that a
later version fixed whatever its extra text: ``p_better_quality`` is the one-sided
p-value that it is higher; whether extra tokens buy quality is the suggestion rules'
call. Impact = excess tokens, ``(avg - baseline) * successes``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, Pattern, Severity, TokenEvidence
from autoforge_learn.patterns.claims import estimate, interval, per_project, versus_group
from autoforge_learn.patterns.common import r

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def token_counts(runs: Any) -> Any:
    """Stage runs with ``tokens`` (input + output) and ``ok`` (succeeded) columns."""
    return runs.assign(
        tokens=runs["input_tokens"].fillna(0) + runs["output_tokens"].fillna(0),
        ok=runs["succeeded"].fillna(False).astype(bool),
    )


def detect_token_efficiency(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 5: each prompt version against the other versions of its
    role, over projects."""
    runs = data.runs
    if runs.empty:
        return []
    runs = token_counts(runs[runs["prompt_version"].notna()])
    findings = []
    for _role, role_runs in runs.groupby("agent_role", sort=True):
        versions = sorted(role_runs["prompt_version"].unique())
        if len(versions) < 2:
            continue
        previous = _previous_versions(role_runs)
        for version in versions:
            finding = _version_finding(str(version), role_runs, settings,
                                       previous.get(str(version)))
            if finding is not None:
                findings.append(finding)
    return sorted(findings, key=lambda f: -f.impact)


def _previous_versions(role_runs: Any) -> dict[str, str | None]:
    """Each version of the role -> the version first used before it (None for the first)."""
    first = role_runs.groupby("prompt_version")["ts"].min().sort_values(kind="stable")
    order = [str(v) for v in first.index]
    return {v: (order[i - 1] if i else None) for i, v in enumerate(order)}


def _version_finding(
    version: str, role_runs: Any, settings: PatternSettings, before: str | None
) -> Finding | None:
    """One version's tokens per successful output against the role's other versions:
    the claim is that it uses more than ``excess`` more, tested over projects."""
    excess = settings.token_efficiency.excess
    mine = role_runs[role_runs["prompt_version"] == version]
    others = role_runs[role_runs["prompt_version"] != version]
    role = str(mine["agent_role"].iloc[0])
    tokens = per_project(mine, mine["tokens"], mine["ok"])
    base_tokens = per_project(others, others["tokens"], others["ok"])
    cmp, hypothesis = versus_group(
        tokens,
        base_tokens,
        claim=f"{version} uses more than {excess:.0%} more tokens per successful output "
        f"than {role}'s other versions",
        baseline_name=f"{role}'s other versions, plus {excess:.0%}",
        scale="positive",
        baseline_factor=1 + excess,
    )
    est = estimate(tokens, scale="positive")
    base = estimate(base_tokens, scale="positive")
    if est is None or base is None:
        return None
    against = others if before is None else role_runs[role_runs["prompt_version"] == before]
    quality = versus_group(
        per_project(mine, mine["all_first_pass"]),
        per_project(against, against["all_first_pass"]),
        claim="",
        baseline_name="",
    )[0]
    ratio = est.value / base.value - 1 if base.value else math.inf
    n, successes = len(mine), int(mine["ok"].sum())
    return Finding(
        pattern=Pattern.TOKEN_EFFICIENCY,
        key={"prompt_version": version},
        title=(f"{version}: {est.value:,.0f} tokens per successful output, {ratio:+.0%} vs "
               f"{role}'s other versions ({est.projects} vs {base.projects} projects)"),
        severity=Severity.LOW,
        metric="avg_tokens_per_success",
        value=r(est.value, 1) or 0.0,
        interval=interval(est, 1),
        sample_size=n,
        threshold=r(base.value * (1 + excess), 1),
        baseline=r(base.value, 1),
        impact=r(max(0.0, est.value - base.value) * successes, 1) or 0.0,
        agent_role=role,
        prompt_version=version,
        evidence=TokenEvidence(
            avg_tokens_per_success=r(est.value, 1),
            best_version="(the other versions)",
            best_avg_tokens=r(base.value, 1),
            excess_ratio=r(ratio) if math.isfinite(ratio) else None,
            pass_rate=r(quality.a.value) if quality else None,
            pass_rate_interval=list(interval(quality.a) or ()) if quality else [],
            best_pass_rate=r(quality.b.value) if quality else None,
            p_better_quality=r(quality.p_value) if quality else None,
            executions=n,
            successes=successes,
        ),
        hypothesis=hypothesis,
        projects=est.projects + base.projects,
    )
