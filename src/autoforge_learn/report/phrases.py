"""Numbers in words for a report: evidence lines, intervals, p-values, trend
sentences and the trend table."""

from __future__ import annotations

import math

from autoforge_learn.findings import Finding, Status
from autoforge_learn.report.charts import unit_label
from autoforge_learn.report.data import ReportData, TrendSeries
from autoforge_learn.report.document import Inline, Spans, Strong, Table


def number(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def interval_words(low: float | None, high: float | None) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    return f"95% interval {number(low)} to {number(high)}"


def p_words(name: str, value: float) -> str:
    if not math.isfinite(value):
        return f"{name} n/a"
    return f"{name} < 0.001" if value < 0.001 else f"{name} = {value:.2g}"


def projects_words(f: Finding) -> str:
    n = f.projects or (f.hypothesis.projects if f.hypothesis else 0)
    if not n:
        return "projects not counted"
    return f"{n} project{'s' if n != 1 else ''}"


def evidence(f: Finding) -> Spans:
    """The numbers behind a finding in one line: effect or value, 95% interval,
    q-value, projects."""
    h = f.hypothesis
    parts: list[Inline] = []
    if h is not None:
        q = (p_words("q", h.q_value) if h.q_value is not None
             else p_words("p", h.p_value) + " (unadjusted)")
        parts.append(
            f"effect {'+' if h.effect > 0 else ''}{number(h.effect)} against {h.baseline} "
            f"({interval_words(h.effect_low, h.effect_high)}), {q}, {projects_words(f)}"
        )
        if f.status != Status.DISCOVERY and h.detectable is not None:
            # What a negative result can rule out: effects this size would have shown.
            parts.append(f", smallest detectable effect {number(h.detectable)} (80% power)")
    else:
        interval = interval_words(*f.interval) if f.interval else "no interval"
        parts.append(
            f"{f.metric} = {number(f.value)} ({interval}), {f.sample_size} observations, "
            f"{projects_words(f)}, not tested across projects"
        )
    if f.thin_evidence:
        parts += [", ", Strong("thin evidence")]
    return tuple(parts)


def finding_tag(f: Finding) -> Strong:
    return Strong(f"[{f.severity}] {f.title}")


# -- metric trends -----------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """A metric's value in words (:func:`autoforge_learn.analyze.units.format_value`)."""
    from autoforge_learn.analyze.units import format_value as by_unit

    return by_unit(value, unit)


def trend_comparison(series: TrendSeries, min_projects: int) -> str | None:
    """``"<label> improved from X in <month> to Y in <month> (a and b projects, q = ...)"``
    for the first and last months with enough projects, or None. "Improved" and
    "worsened" are said only of a change tested beyond chance (``change_test``); an
    untested or chance change is reported as such."""
    change = series.change(min_projects)
    if change is None:
        return None
    (p0, first), (p1, last) = change
    counts = f"{series.projects[p0]} and {series.projects[p1]} projects"
    test = series.change_test
    before, after = format_value(first, series.unit), format_value(last, series.unit)
    if test is None:
        return (f"{series.label} went from {before} in {p0} to {after} in {p1} ({counts}; "
                "not tested)")
    q = test.q_value if test.q_value is not None else test.p_value
    stated = "q < 0.001" if q < 0.001 else f"q = {q:.2g}"
    if not test.beyond_chance():
        return (f"{series.label} went from {before} in {p0} to {after} in {p1}, within "
                f"chance ({counts}, {stated})")
    better = (last < first) == series.lower_is_better
    verb = "improved" if better else "worsened"
    return f"{series.label} {verb} from {before} in {p0} to {after} in {p1} ({counts}, {stated})"


def trend_sentence(series: TrendSeries, min_projects: int) -> str:
    """The month-to-month comparison of a series, or why there is none."""
    compared = trend_comparison(series, min_projects)
    if compared is not None:
        return compared
    known = series.known()
    if len(known) < 2:
        return f"{series.label}: fewer than two months with data, nothing to compare"
    enough = len(series.comparable(min_projects))
    return (
        f"{series.label}: no month-to-month comparison, the months have too few projects "
        f"({enough} of {len(known)} months with data have at least {min_projects})"
    )


def biggest_trend(data: ReportData) -> str:
    """The executive summary's trend: the largest relative change beyond chance, else
    that no metric changed beyond chance (or why nothing could be compared)."""
    best: tuple[float, str] | None = None
    compared = []
    for series in data.trends:
        change = series.change(data.min_projects)
        sentence = trend_comparison(series, data.min_projects)
        if change is None or sentence is None:
            continue
        compared.append(change)
        test = series.change_test
        if test is None or not test.beyond_chance() or change[0][1] == 0:
            continue
        size = abs(change[1][1] - change[0][1]) / abs(change[0][1])
        if best is None or size > best[0]:
            best = (size, sentence)
    if best is not None:
        return best[1] + "."
    if compared:
        first = min(c[0][0] for c in compared)
        last = max(c[1][0] for c in compared)
        return (f"No metric changed beyond chance between {first} and {last} (each change "
                "tested over the months' projects).")
    if any(len(s.known()) >= 2 for s in data.trends):
        return (
            "No month-to-month comparison: the months have too few projects "
            f"(at least {data.min_projects} needed in each month compared)."
        )
    return "Not enough months of data to show a trend yet."


def trend_cell(series: TrendSeries, value: float | None) -> str:
    if value is None:
        return ""
    if series.unit == "share":
        return f"{100 * value:.1f}"
    if series.unit == "seconds":
        return f"{value / 3600:.1f}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def trend_table(data: ReportData, series: list[TrendSeries]) -> Table:
    """Month by month: the projects behind each month and every metric's value."""
    periods = sorted({p for s in series for p, _ in s.points})
    counts: dict[str, int] = {}
    for s in series:
        counts.update(s.projects)
    header = ("month", "projects", *(f"{s.label} ({unit_label(s.unit)})" for s in series))
    rows = []
    for period in periods:
        n = counts.get(period)
        if n is None:
            projects = "unknown"
        elif n < data.min_projects:
            projects = f"{n} (too few to compare)"
        else:
            projects = str(n)
        values = {s.metric: dict(s.points).get(period) for s in series}
        rows.append(((period,), (projects,), *((trend_cell(s, values[s.metric]),) for s in series)))
    return Table(header, tuple(rows))
