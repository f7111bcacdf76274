"""Pattern 6 of 8: recipe effectiveness.

Projects are grouped by recipe, by recipe and client domain, and by recipe and team
size; per group: ``projects``, ``success_rate`` (share ``shipped``, Wilson interval),
``avg_time`` (``time_to_completion``, seconds), ``avg_quality`` (``quality_score``),
``avg_cost`` (``token_cost_total``). Groups with fewer than ``min_projects`` are thin.

Versions of one recipe family (``web_app_v1`` vs ``web_app_v2``) are compared pairwise
in order: the finding (key ``{"recipe": family, "versions": "v1->v2"}``) holds both
sides' numbers and Welch t-test p-values for quality and time (each project one value);
its claim is that quality differs (two-sided), judged with the run's other claims.
Group findings are context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import (
    Finding,
    Hypothesis,
    NamedRecipeSummary,
    Pattern,
    RecipeComparisonEvidence,
    RecipeGroupEvidence,
    Severity,
)
from autoforge_learn.patterns.common import r
from autoforge_learn.stats.projects import compare_means

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
    from autoforge_learn.stats.dist import welch_p

    a, b = a.dropna(), b.dropna()
    if len(a) < 2 or len(b) < 2:
        return None
    p = welch_p(a, b)
    return None if p != p else float(p)


def detect_recipes(data: Dataset, settings: PatternSettings) -> list[Finding]:
    """Findings of pattern 6: groups (context) and version comparisons (claims)."""
    p = data.projects[data.projects["recipe"].notna()].copy()
    if p.empty:
        return []
    p["family"] = p["recipe"].str.replace(r"_v[0-9.]+$", "", regex=True)
    findings: list[Finding] = []
    for columns in (("recipe",), ("recipe", "client_domain"), ("recipe", "team_size")):
        for values, group in p.groupby(list(columns), sort=True, dropna=True):
            values = values if isinstance(values, tuple) else (values,)
            key = {c: str(v) for c, v in zip(columns, values, strict=True)}
            findings.append(_group_finding(key, group))
    for family, group in p.groupby("family", sort=True):
        recipes = sorted(group["recipe"].unique())
        for old, new in zip(recipes, recipes[1:], strict=False):
            a, b = group[group["recipe"] == old], group[group["recipe"] == new]
            findings.append(_comparison(str(family), str(old), str(new), a, b))
    return sorted(findings, key=lambda f: (f.hypothesis is None, -f.impact))


def _group_finding(key: dict[str, str], group: Any) -> Finding:
    """A recipe group's outcomes: context, not a claim."""
    from autoforge_learn.stats import wilson_interval

    ev = _summary(group)
    n, k = ev["projects"], ev["shipped"]
    label = ", ".join(f"{c}={v}" for c, v in key.items())
    return Finding(
        pattern=Pattern.RECIPE_EFFECTIVENESS, key=key,
        title=(f"{label}: {n} projects, {k / n:.0%} shipped, quality "
               f"{ev['avg_quality']}, cost {ev['avg_cost']}"),
        severity=Severity.INFO, metric="success_rate", value=r(k / n) or 0.0,
        interval=wilson_interval(k, n), sample_size=n, impact=float(n),
        evidence=RecipeGroupEvidence(**ev), projects=n,
    )


def _comparison(family: str, old: str, new: str, a: Any, b: Any) -> Finding:
    """Two versions of a recipe: the claim is that their projects' quality differs
    (Welch t over projects, two-sided); time is compared alongside."""
    quality = compare_means(b["quality_score"], a["quality_score"])
    p_time = _welch(a["time_to_completion"], b["time_to_completion"])
    sa, sb = _summary(a), _summary(b)
    dq = (sb["avg_quality"] or 0) - (sa["avg_quality"] or 0)
    dt = ((sb["avg_time"] or 0) / sa["avg_time"] - 1) if sa["avg_time"] else 0.0
    n = len(a) + len(b)
    hypothesis = None
    if quality is not None:
        hypothesis = Hypothesis(
            claim=f"{new}'s projects reach a different quality than {old}'s",
            test=quality.test, p_value=quality.p_value, effect=r(quality.effect, 4) or 0.0,
            effect_low=r(quality.low, 4) or 0.0, effect_high=r(quality.high, 4) or 0.0,
            baseline=f"{old}'s projects", projects=min(quality.a.projects, quality.b.projects),
        )
    return Finding(
        pattern=Pattern.RECIPE_EFFECTIVENESS,
        key={"recipe": family, "versions": f"{old}->{new}"},
        title=(f"{new} vs {old}: quality {dq:+.1f} points, time {dt:+.0%} "
               f"({len(b)} vs {len(a)} projects)"),
        severity=Severity.LOW,
        metric="quality_difference", value=r(dq, 2) or 0.0, sample_size=n,
        baseline=sa["avg_quality"], impact=r(abs(dq), 2) or 0.0,
        evidence=RecipeComparisonEvidence(
            projects=n,
            baseline=NamedRecipeSummary(recipe=old, **sa),
            candidate=NamedRecipeSummary(recipe=new, **sb),
            p_quality=r(quality.p_value) if quality else None, p_time=r(p_time),
            time_change=r(dt),
        ),
        hypothesis=hypothesis,
        projects=n,
    )
