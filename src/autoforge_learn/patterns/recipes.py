"""Pattern 6: recipe effectiveness (spec 4.1).

Projects are grouped by recipe, by recipe and client domain, and by recipe and team
size; per group: ``projects``, ``success_rate`` (share ``shipped``, Wilson interval),
``avg_time`` (``time_to_completion``, seconds), ``avg_quality`` (``quality_score``),
``avg_cost`` (``token_cost_total``). Groups with fewer than ``min_projects`` are thin.

Versions of one recipe family (``web_app_v1`` vs ``web_app_v2``) are compared pairwise
in order: the finding (key ``{"recipe": family, "versions": "v1->v2"}``) holds both
sides' numbers and Welch t-test p-values for quality and time; it is ``medium`` when
either differs significantly (p < 0.05), else ``low``. Group findings are ``info``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import (
    Finding,
    NamedRecipeSummary,
    Pattern,
    RecipeComparisonEvidence,
    RecipeGroupEvidence,
    Severity,
)
from autoforge_learn.patterns.common import r

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings


def _summary(group: Any) -> dict[str, Any]:
    shipped = int((group["project_success"] == "shipped").sum())
    return {
        "projects": len(group),
        "shipped": shipped,
        "success_rate": r(shipped / len(group)) if len(group) else None,
        "avg_time": r(group["time_to_completion"].mean(), 1),
        "avg_quality": r(group["quality_score"].mean(), 2),
        "avg_cost": r(group["token_cost_total"].mean(), 6),
    }


def _welch(a: Any, b: Any) -> float | None:
    from scipy import stats

    a, b = a.dropna(), b.dropna()
    if len(a) < 2 or len(b) < 2:
        return None
    p = stats.ttest_ind(a, b, equal_var=False).pvalue
    return None if p != p else float(p)


def detect_recipes(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 6: groups (info) and version comparisons."""
    from autoforge_learn.stats import wilson_interval

    min_projects = settings.recipe_effectiveness.min_projects
    p = data.projects[data.projects["recipe"].notna()].copy()
    if p.empty:
        return []
    p["family"] = p["recipe"].str.replace(r"_v[0-9.]+$", "", regex=True)
    findings: list[Finding] = []
    for columns in (("recipe",), ("recipe", "client_domain"), ("recipe", "team_size")):
        for values, group in p.groupby(list(columns), sort=True, dropna=True):
            values = values if isinstance(values, tuple) else (values,)
            key = {c: str(v) for c, v in zip(columns, values, strict=True)}
            ev = _summary(group)
            n, k = ev["projects"], ev["shipped"]
            label = ", ".join(f"{c}={v}" for c, v in key.items())
            findings.append(Finding(
                pattern=Pattern.RECIPE_EFFECTIVENESS, key=key,
                title=(f"{label}: {n} projects, {k / n:.0%} shipped, quality "
                       f"{ev['avg_quality']}, cost {ev['avg_cost']}"),
                severity=Severity.INFO, metric="success_rate", value=r(k / n) or 0.0,
                interval=wilson_interval(k, n), sample_size=n,
                impact=float(n), thin_evidence=n < min_projects,
                evidence=RecipeGroupEvidence(**ev),
            ))
    for family, group in p.groupby("family", sort=True):
        recipes = sorted(group["recipe"].unique())
        for old, new in zip(recipes, recipes[1:], strict=False):
            a, b = group[group["recipe"] == old], group[group["recipe"] == new]
            p_quality = _welch(a["quality_score"], b["quality_score"])
            p_time = _welch(a["time_to_completion"], b["time_to_completion"])
            sa, sb = _summary(a), _summary(b)
            significant = any(x is not None and x < 0.05 for x in (p_quality, p_time))
            dq = (sb["avg_quality"] or 0) - (sa["avg_quality"] or 0)
            dt = ((sb["avg_time"] or 0) / sa["avg_time"] - 1) if sa["avg_time"] else 0.0
            n = len(a) + len(b)
            findings.append(Finding(
                pattern=Pattern.RECIPE_EFFECTIVENESS,
                key={"recipe": str(family), "versions": f"{old}->{new}"},
                title=(f"{new} vs {old}: quality {dq:+.1f} points, time {dt:+.0%} "
                       f"({len(b)} vs {len(a)} projects)"),
                severity=Severity.MEDIUM if significant else Severity.LOW,
                metric="quality_difference", value=r(dq, 2) or 0.0, sample_size=n,
                baseline=sa["avg_quality"], impact=r(abs(dq), 2) or 0.0,
                thin_evidence=min(len(a), len(b)) < min_projects,
                evidence=RecipeComparisonEvidence(
                    projects=n,
                    baseline=NamedRecipeSummary(recipe=str(old), **sa),
                    candidate=NamedRecipeSummary(recipe=str(new), **sb),
                    p_quality=r(p_quality), p_time=r(p_time), time_change=r(dt),
                ),
            ))
    return sorted(findings, key=lambda f: (f.severity != Severity.MEDIUM, -f.impact))
