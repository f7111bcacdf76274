"""Retrospective comparison of two prompt versions on the projects already in the store.

No assignment decided which project ran which version, so this is observational: the
versions may have run at different times, on different recipes and domains. Where
both versions ran in several recipes and domains the comparison is made within each
(recipe, domain) stratum and pooled by inverse variance, so a version is not credited
for the easier projects it happened to get; a project that used both versions is left
out (it belongs to neither arm).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoforge_learn.experiments.analysis import Assignment, MetricResult, _json, analyze_metric
from autoforge_learn.experiments.arms import ArmData, pooled_difference
from autoforge_learn.experiments.model import Experiment, ExperimentError

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

#: Stratifications tried in order; the first with two strata holding both versions wins.
STRATA = (("recipe", "client_domain"), ("recipe",), ("client_domain",))


@dataclass
class VersionComparison:
    """Two versions compared on past projects.

    Attributes:
        result: The metric, treatment against control (effect, interval, p-value, n).
        stratified_by: The project attributes the comparison was made within (empty:
            one pool).
        strata: Per stratum (``recipe=web_app_v2, client_domain=saas``): projects per arm.
        mixed: Projects left out because they used both versions.
        decision: What the data say, in words, with the observational caveat.
    """

    control: str
    treatment: str
    result: MetricResult
    stratified_by: tuple[str, ...] = ()
    strata: dict[str, tuple[int, int]] = field(default_factory=dict)
    mixed: int = 0
    decision: str = ""

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "metric": r.metric, "control": self.control, "treatment": self.treatment,
            "effect": _json(r.effect), "ci_low": _json(r.ci_low), "ci_high": _json(r.ci_high),
            "p_value": _json(r.p_value), "n_control": r.n_control,
            "n_treatment": r.n_treatment, "control_value": _json(r.control_value),
            "treatment_value": _json(r.treatment_value), "test": r.test,
            "decision": self.decision, "observational": True,
            "stratified_by": list(self.stratified_by),
            "strata": {k: {"control": c, "treatment": t} for k, (c, t) in self.strata.items()},
            "mixed_projects_left_out": self.mixed,
            "detectable_effect": _json(r.detectable),
        }


def compare_versions(
    ws: Workspace, *, role: str, control: str, treatment: str, metric: str = "gate_pass_rate",
    selection: Selection | None = None, alpha: float = 0.05,
) -> VersionComparison:
    """Compare two versions of a role on the selected projects that used one of them.

    Raises:
        ExperimentError: If the versions are not versions of the role.
    """
    from autoforge_learn.analyze.metrics import get_metric

    get_metric(metric)
    try:
        design = Experiment(id="compare", role=role, control=control, treatment=treatment,
                            metric=metric, salt="observational", started_at=_epoch(),
                            alpha=alpha)
    except ValueError as exc:
        raise ExperimentError(f"cannot compare: {exc}") from None
    arms, attributes, mixed = _projects(ws, design, selection)
    for keys in STRATA:
        strata = _strata(arms, attributes, keys)
        usable = {k: v for k, v in strata.items() if min(_count(v, "control"),
                                                         _count(v, "treatment")) >= 2}
        if len(usable) >= 2:
            result = _stratified(ws, design, usable, keys)
            return _finish(design, result, keys, usable, mixed)
    result = analyze_metric(ws, design, metric, "primary", arms)
    return _finish(design, result, (), {}, mixed)


def _epoch() -> Any:
    from datetime import UTC, datetime

    return datetime(1970, 1, 1, tzinfo=UTC)


def _projects(
    ws: Workspace, design: Experiment, selection: Selection | None
) -> tuple[list[Assignment], dict[str, dict[str, str | None]], int]:
    """The projects that used exactly one of the versions (as arms, oldest first),
    their recipe and domain, and how many used both."""
    from autoforge_learn.selection import Selection

    chosen = selection or Selection()
    t = ws.events()
    events = chosen.events(t)
    used = (
        events.filter((events.agent_role == design.role)
                      & events.prompt_version.isin([design.control, design.treatment]))
        .group_by(["project_id", "prompt_version"])
        .aggregate(first=events.ts.min())
        .to_pyarrow().to_pylist()
    )
    versions: dict[str, set[str]] = defaultdict(set)
    first: dict[str, Any] = {}
    for row in used:
        versions[row["project_id"]].add(row["prompt_version"])
        first[row["project_id"]] = min(first.get(row["project_id"], row["first"]), row["first"])
    single = sorted((p for p, v in versions.items() if len(v) == 1), key=lambda p: (first[p], p))
    arms = [Assignment(p, "treatment" if design.treatment in versions[p] else "control", i)
            for i, p in enumerate(single)]
    started = t.filter(t.kind == "project_started")
    attributes = {
        r["project_id"]: r for r in started.select("project_id", "recipe", "client_domain")
        .to_pyarrow().to_pylist()
    }
    return arms, attributes, sum(1 for v in versions.values() if len(v) > 1)


def _strata(arms: list[Assignment], attributes: dict[str, dict[str, Any]],
            keys: tuple[str, ...]) -> dict[str, list[Assignment]]:
    strata: dict[str, list[Assignment]] = defaultdict(list)
    for a in arms:
        row = attributes.get(a.project_id, {})
        strata[", ".join(f"{k}={row.get(k) or 'unknown'}" for k in keys)].append(a)
    return dict(strata)


def _count(arms: list[Assignment], arm: str) -> int:
    return sum(a.arm == arm for a in arms)


def _stratified(ws: Workspace, design: Experiment, strata: dict[str, list[Assignment]],
                keys: tuple[str, ...]) -> MetricResult:
    """The difference within each stratum, pooled (:func:`pooled_difference`)."""
    from autoforge_learn.experiments.analysis import arm_data

    everyone = [a for arms in strata.values() for a in arms]
    control, treatment = arm_data(ws, design, design.metric, everyone)
    pairs = []
    for arms in strata.values():
        ids = {a.project_id for a in arms}
        pairs.append((_subset(control, ids), _subset(treatment, ids)))
    test = pooled_difference(pairs)
    if test is None:
        return analyze_metric(ws, design, design.metric, "primary", everyone)
    return MetricResult(
        metric=design.metric, role="primary", effect=test.effect, ci_low=test.low,
        ci_high=test.high, p_value=test.p_value, n_control=control.size,
        n_treatment=treatment.size,
        test=test.test.replace(" strata", f" strata ({' x '.join(keys)})", 1),
        control_value=test.control_value, treatment_value=test.treatment_value,
        detectable=2.8 * test.se,
    )


def _subset(arm: ArmData, ids: set[str]) -> ArmData:
    keep = [i for i, p in enumerate(arm.projects) if p in ids]
    return ArmData(tuple(arm.projects[i] for i in keep), arm.numerators[keep],
                   None if arm.denominators is None else arm.denominators[keep])


def _finish(design: Experiment, result: MetricResult, keys: tuple[str, ...],
            strata: dict[str, list[Assignment]], mixed: int) -> VersionComparison:
    from autoforge_learn.analyze.metrics import get_metric

    lower_better = get_metric(design.metric).lower_is_better
    if result.p_value is None or result.effect is None:
        result.verdict = "inconclusive"
        said = "inconclusive: fewer than two projects used each version"
    elif result.p_value <= design.alpha:
        treatment_better = (result.effect < 0) == lower_better
        better = design.treatment if treatment_better else design.control
        result.verdict = "treatment better" if treatment_better else "control better"
        said = f"{better} did better on {design.metric} (p = {result.p_value:.3g})"
    else:
        result.verdict = "no difference detected"
        said = f"no difference detected on {design.metric} (p = {result.p_value:.3g})"
    caveat = ("observational: these projects were not assigned at random, so other "
              "differences between them may explain this; confirm with `autoforge ab start`")
    return VersionComparison(
        control=design.control, treatment=design.treatment, result=result,
        stratified_by=keys,
        strata={k: (_count(v, "control"), _count(v, "treatment")) for k, v in strata.items()},
        mixed=mixed, decision=f"{said}; {caveat}",
    )
