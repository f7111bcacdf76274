"""Whether a metric's month-to-month change in the report is beyond chance.

The report compares a metric's first and last months that hold enough projects. Each
comparison is tested with the project as the unit (the projects started in each
month: Welch's t on the delta-method linearized ratios for a ratio metric, on the
projects' values otherwise), and the metrics' comparisons are corrected together
(Benjamini-Hochberg): a sentence says "improved" or "worsened" only when the change
survives, else that it stays within chance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoforge_learn.report.data import ChangeTest, TrendSeries

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace


def check_trend_changes(
    ws: Workspace, series: list[TrendSeries], started: dict[str, str], *,
    selection: Selection | None, min_projects: int,
) -> None:
    """Set each series' ``change_test`` (see the module docstring).

    Args:
        ws: The workspace.
        series: The report's series (changed in place).
        started: Each selected project's start month (``YYYY-MM``).
        selection: The run's selection.
        min_projects: Projects a month needs to be compared.
    """
    from autoforge_learn.stats.multiple import benjamini_hochberg

    tested: list[TrendSeries] = []
    for s in series:
        change = s.change(min_projects)
        if change is None:
            continue
        (first, _), (last, _) = change
        s.change_test = _compare(ws, s.metric, started, first, last, selection)
        if s.change_test is not None:
            tested.append(s)
    qs = benjamini_hochberg([s.change_test.p_value for s in tested if s.change_test])
    for s, q in zip(tested, qs, strict=True):
        assert s.change_test is not None
        s.change_test.q_value = float(q)


def _compare(ws: Workspace, metric: str, started: dict[str, str], first: str, last: str,
             selection: Selection | None) -> ChangeTest | None:
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.dataset.metrics import metric_values
    from autoforge_learn.stats.projects import compare_means, compare_ratios

    definition = get_metric(metric)
    rows = metric_values(ws, metric, by=["project"], selection=selection)
    groups: dict[str, list[dict[str, Any]]] = {first: [], last: []}
    for row in rows:
        month = started.get(str(row["project"]))
        if month in groups and row.get("value") is not None:
            groups[month].append(row)
    a, b = groups[last], groups[first]
    if min(len(a), len(b)) < 2:
        return None
    ratio = (definition.kind == "ratio" and not definition.unit.endswith("/project")
             and all(r.get("denominator") for r in a + b))
    if ratio:
        cmp = compare_ratios([r["numerator"] for r in a], [r["denominator"] for r in a],
                             [r["numerator"] for r in b], [r["denominator"] for r in b],
                             scale="real")
    else:
        cmp = compare_means([float(r["value"]) for r in a], [float(r["value"]) for r in b])
    if cmp is None:
        return None
    return ChangeTest(first=first, last=last, effect=cmp.effect, low=cmp.low,
                      high=cmp.high, p_value=cmp.p_value, projects=(len(b), len(a)),
                      test=cmp.test)
