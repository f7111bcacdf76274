"""The sections of a learning report, built once for both renderings.

:func:`build_document` turns :class:`~autoforge_learn.report.data.ReportData` into a
:class:`~autoforge_learn.report.document.Document`; the Markdown and the HTML report are
two renderings of it, so they hold the same sections (:data:`SECTIONS`, in this order)
with the same text.

Ranking. The *top actions* are the findings to act on: discoveries (claims that survive
the run's false discovery correction) of high or medium severity. They are ranked by
severity, then by their *adjusted effect* (the end of the effect's 95% interval nearest
zero: the smallest effect the data support) relative to the finding's baseline value
(effects are on their metrics' scales, tokens and rates alike, so only a relative size
compares across detectors), then by q-value (the Benjamini-Hochberg adjusted p-value).
A finding without a usable baseline value (none, or zero) ranks after those that have
one, by q-value. Findings from detectors that do not test a hypothesis yet (status
``context``, no hypothesis, severity high or medium) are still listed, after the tested
ones of their severity, ranked by the detector's impact, and say they are untested.
Inconclusive findings are never in the top list: they are collapsed in their own section.
The executive summary follows the same ranking.
"""

from __future__ import annotations

import math

from autoforge_learn.findings import Finding, Hypothesis, Severity, Status
from autoforge_learn.report.charts import chart_names, trend_panels, unit_label
from autoforge_learn.report.data import ReportData, TrendSeries
from autoforge_learn.report.document import (
    Block,
    Chart,
    Code,
    Details,
    Document,
    Emph,
    Heading,
    Inline,
    Item,
    ItemList,
    Paragraph,
    Spans,
    Strong,
    Table,
    plain,
    quoted_code,
    spans,
)
from autoforge_learn.report.experiments import experiments_section
from autoforge_learn.suggest.model import Suggestion

SUMMARY = "Executive summary"
TOP_ACTIONS = "Top actions"
IMPROVEMENTS = "Key improvements identified"
NEXT_ACTIONS = "Suggested next actions"
EXPERIMENTS = "Experiments and rollouts"
TRENDS = "Metric trends"
LOOPS = "Feedback loops fired"
ALL_FINDINGS = "All findings"
INCONCLUSIVE = "Inconclusive items"
HOW_TO_READ = "How to read this report"

#: The report's sections (level-2 headings), in order, in both renderings.
SECTIONS = (
    SUMMARY,
    TOP_ACTIONS,
    IMPROVEMENTS,
    NEXT_ACTIONS,
    EXPERIMENTS,
    TRENDS,
    LOOPS,
    ALL_FINDINGS,
    INCONCLUSIVE,
    HOW_TO_READ,
)

MAX_TOP_ACTIONS = 5
MAX_IMPROVEMENTS = 8
MAX_SUGGESTIONS = 8

_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.INFO: 3}
_ACTION_SEVERITIES = (Severity.HIGH, Severity.MEDIUM)


# -- ranking -----------------------------------------------------------------------------


def adjusted_effect(hypothesis: Hypothesis) -> float:
    """The end of the effect's 95% interval nearest zero (0 when the interval spans zero
    or is unknown): the smallest effect the data support, in the effect's sign."""
    low, high = hypothesis.effect_low, hypothesis.effect_high
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return 0.0
    if low <= 0 <= high:
        return 0.0
    return low if low > 0 else high


def _q(hypothesis: Hypothesis) -> float:
    q = hypothesis.q_value if hypothesis.q_value is not None else hypothesis.p_value
    return q if math.isfinite(q) else 1.0


def relative_effect(f: Finding) -> float | None:
    """The size of the adjusted effect relative to the finding's baseline value
    (``|adjusted effect| / |baseline|``), or None without a hypothesis or a non-zero
    baseline value."""
    h, base = f.hypothesis, f.baseline
    if h is None or base is None or not math.isfinite(base) or base == 0:
        return None
    return abs(adjusted_effect(h)) / abs(base)


def rank_key(f: Finding) -> tuple[int, int, int, float, float, str]:
    """Severity; tested before untested; with a relative effect before without; larger
    relative adjusted effect (untested: impact); smaller q-value; id."""
    band = _SEVERITY_ORDER[f.severity]
    h = f.hypothesis
    if h is not None:
        relative = relative_effect(f)
        if relative is None:
            return (band, 0, 1, 0.0, _q(h), f.id)
        return (band, 0, 0, -relative, _q(h), f.id)
    return (band, 1, 0, -f.impact, 1.0, f.id)


def ranked(findings: list[Finding]) -> list[Finding]:
    """Findings in report order (see :func:`rank_key`)."""
    return sorted(findings, key=rank_key)


def is_action(f: Finding) -> bool:
    """A finding to act on: a high or medium discovery, or a high or medium finding of a
    detector that does not test a hypothesis yet (status context, no hypothesis)."""
    if f.severity not in _ACTION_SEVERITIES:
        return False
    return f.status == Status.DISCOVERY or (f.status == Status.CONTEXT and f.hypothesis is None)


def top_actions(findings: list[Finding]) -> list[Finding]:
    """Every finding to act on, ranked (the report shows the first few as top actions)."""
    return [f for f in ranked(findings) if is_action(f)]


def inconclusive(findings: list[Finding]) -> list[Finding]:
    return [f for f in ranked(findings) if f.status == Status.INCONCLUSIVE]


def ranked_suggestions(data: ReportData) -> list[Suggestion]:
    """Suggestions in the order of the top action each addresses (the first one it
    addresses); those that address none keep their order after them."""
    position = {f.id: i for i, f in enumerate(top_actions(data.findings))}
    unranked = len(position)

    def key(item: tuple[int, Suggestion]) -> tuple[int, int]:
        index, s = item
        best = min((position[i] for i in s.finding_ids if i in position), default=unranked)
        return (best, index)

    return [s for _, s in sorted(enumerate(data.suggestions), key=key)]


# -- numbers in words --------------------------------------------------------------------


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    return f"95% interval {_num(low)} to {_num(high)}"


def _p(name: str, value: float) -> str:
    if not math.isfinite(value):
        return f"{name} n/a"
    return f"{name} < 0.001" if value < 0.001 else f"{name} = {value:.2g}"


def _projects(f: Finding) -> str:
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
        q = _p("q", h.q_value) if h.q_value is not None else _p("p", h.p_value) + " (unadjusted)"
        parts.append(
            f"effect {'+' if h.effect > 0 else ''}{_num(h.effect)} against {h.baseline} "
            f"({_interval(h.effect_low, h.effect_high)}), {q}, {_projects(f)}"
        )
        if f.status != Status.DISCOVERY and h.detectable is not None:
            # What a negative result can rule out: effects this size would have shown.
            parts.append(f", smallest detectable effect {_num(h.detectable)} (80% power)")
    else:
        interval = _interval(*f.interval) if f.interval else "no interval"
        parts.append(
            f"{f.metric} = {_num(f.value)} ({interval}), {f.sample_size} observations, "
            f"{_projects(f)}, not tested across projects"
        )
    if f.thin_evidence:
        parts += [", ", Strong("thin evidence")]
    return tuple(parts)


def _tag(f: Finding) -> Strong:
    return Strong(f"[{f.severity}] {f.title}")


# -- metric trends -----------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "seconds":
        return f"{value / 3600:.1f} h" if value >= 3600 else f"{value / 60:.0f} min"
    if unit.startswith("USD"):
        return f"${value:,.2f}"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def _comparison(series: TrendSeries, min_projects: int) -> str | None:
    """``"<label> improved from X in <month> to Y in <month> (a and b projects)"`` for
    the first and last months with enough projects, or None."""
    change = series.change(min_projects)
    if change is None:
        return None
    (p0, first), (p1, last) = change
    counts = f"({series.projects[p0]} and {series.projects[p1]} projects)"
    if first == last:
        return f"{series.label} held at {_fmt(last, series.unit)} from {p0} to {p1} {counts}"
    better = (last < first) == series.lower_is_better
    verb = "improved" if better else "worsened"
    return (
        f"{series.label} {verb} from {_fmt(first, series.unit)} in {p0} "
        f"to {_fmt(last, series.unit)} in {p1} {counts}"
    )


def trend_sentence(series: TrendSeries, min_projects: int) -> str:
    """The month-to-month comparison of a series, or why there is none."""
    compared = _comparison(series, min_projects)
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


def _biggest_trend(data: ReportData) -> str:
    best: tuple[float, str] | None = None
    for series in data.trends:
        change = series.change(data.min_projects)
        sentence = _comparison(series, data.min_projects)
        if change is None or sentence is None or change[0][1] == 0:
            continue
        size = abs(change[1][1] - change[0][1]) / abs(change[0][1])
        if best is None or size > best[0]:
            best = (size, sentence)
    if best is not None:
        return best[1] + "."
    if any(len(s.known()) >= 2 for s in data.trends):
        return (
            "No month-to-month comparison: the months have too few projects "
            f"(at least {data.min_projects} needed in each month compared)."
        )
    return "Not enough months of data to show a trend yet."


def _cell(series: TrendSeries, value: float | None) -> str:
    if value is None:
        return ""
    if series.unit == "share":
        return f"{100 * value:.1f}"
    if series.unit == "seconds":
        return f"{value / 3600:.1f}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _trend_table(data: ReportData, series: list[TrendSeries]) -> Table:
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
        rows.append(((period,), (projects,), *((_cell(s, values[s.metric]),) for s in series)))
    return Table(header, tuple(rows))


# -- sections ----------------------------------------------------------------------------


def summary_items(data: ReportData) -> list[Spans]:
    """Three bullets: the first top action, the biggest trend, the first suggestion."""
    actions = top_actions(data.findings)
    if actions:
        first = actions[0]
        problem = spans(
            f"{len(actions)} finding{'s' if len(actions) != 1 else ''} call for action; "
            f"the first: {first.title} (",
            evidence(first),
            ").",
        )
    else:
        waiting = len(inconclusive(data.findings))
        problem = spans(
            "No finding calls for action: the pipeline runs within its limits"
            + (f" ({waiting} inconclusive item(s) listed apart)." if waiting else ".")
        )
    trend = spans(_biggest_trend(data))
    suggestions = ranked_suggestions(data)
    if suggestions:
        s = suggestions[0]
        action = spans(
            f"Apply {s.suggestion_id} ({s.suggestion_type}, {s.agent_role}, "
            f"confidence {s.confidence:.2f}) to section ",
            Code(s.proposed_change.section),
            ": ",
            Code(f"autoforge prompts apply {s.suggestion_id}"),
        )
    elif actions:
        action = spans("Review the top actions; no prompt change could be generated for them.")
    else:
        action = spans("No change is suggested; keep collecting data.")
    return [problem, trend, action]


def _summary(data: ReportData) -> list[Block]:
    return [ItemList(tuple(Item(s) for s in summary_items(data)))]


def _top_actions(data: ReportData) -> list[Block]:
    actions = top_actions(data.findings)
    if not actions:
        return [Paragraph(spans("No finding calls for action in this period."))]
    items = tuple(Item(spans(_tag(f), ": ", evidence(f))) for f in actions[:MAX_TOP_ACTIONS])
    blocks: list[Block] = [ItemList(items, ordered=True, css="top-actions")]
    if len(actions) > MAX_TOP_ACTIONS:
        more = len(actions) - MAX_TOP_ACTIONS
        blocks.append(Paragraph(spans(f"... and {more} more under {IMPROVEMENTS}.")))
    return blocks


def _improvements(data: ReportData) -> list[Block]:
    actions = top_actions(data.findings)
    if not actions:
        return [Paragraph(spans("Nothing calls for action in this period."))]
    items = []
    for f in actions[:MAX_IMPROVEMENTS]:
        sub: list[Spans] = [evidence(f)]
        if f.hypothesis is not None:
            sub.append(spans(f"Claim: {f.hypothesis.claim} ({f.hypothesis.test})."))
        for example in f.examples[:2]:
            if example.text:
                sub.append(spans("e.g. ", Code(example.event_id), f': "{example.text}"'))
        items.append(Item(spans(_tag(f)), tuple(sub)))
    blocks: list[Block] = [ItemList(tuple(items))]
    if len(actions) > MAX_IMPROVEMENTS:
        more = len(actions) - MAX_IMPROVEMENTS
        blocks.append(Paragraph(spans(f"... and {more} more under {ALL_FINDINGS}.")))
    return blocks


def _next_actions(data: ReportData) -> list[Block]:
    suggestions = ranked_suggestions(data)
    if not suggestions:
        return [Paragraph(spans("No prompt change is suggested this time.")), *_set_aside(data)]
    items = []
    for s in suggestions[:MAX_SUGGESTIONS]:
        change, impact = s.proposed_change, s.expected_impact
        items.append(
            Item(
                spans(
                    Strong(s.suggestion_id),
                    f" {s.agent_role}: {s.suggestion_type} in ",
                    Code(f"{change.prompt_file}#{change.section}"),
                    f" (confidence {s.confidence:.2f}, effort {s.implementation_effort}, "
                    f"risk {s.risk})",
                ),
                (
                    quoted_code(change.rationale.strip()),
                    spans(
                        f"Expected: gate success +{impact.gate_success_improvement:.0%}, "
                        f"retries -{impact.retry_reduction:.0%}."
                    ),
                    spans("Apply: ", Code(f"autoforge prompts apply {s.suggestion_id}")),
                ),
            )
        )
    blocks: list[Block] = [ItemList(tuple(items), ordered=True)]
    if len(suggestions) > MAX_SUGGESTIONS:
        more = len(suggestions) - MAX_SUGGESTIONS
        blocks.append(Paragraph(spans(f"... and {more} more in the suggestions YAML file.")))
    return blocks + _set_aside(data)


def _set_aside(data: ReportData) -> list[Block]:
    """Discoveries no prompt change was suggested for, collapsed, with the reason."""
    if not data.set_aside:
        return []
    items = tuple(
        Item(spans(Strong(a.reason.replace("_", " ")), f" ({a.finding_id}): {a.explanation}"))
        for a in data.set_aside
    )
    n = len(items)
    summary = spans(f"{n} discover{'ies' if n != 1 else 'y'} not turned into a prompt change "
                    "(not attributable to a prompt, already fixed, or no clean text)")
    return [Details(summary, (ItemList(items),))]


def _trends(data: ReportData, charts: list[str]) -> list[Block]:
    series = trend_panels(data)
    blocks: list[Block] = []
    if series:
        blocks.append(
            Paragraph(
                spans(
                    "One panel per metric, each on its own axis with its unit; n under each "
                    "month is the projects started in that month. Months are compared only "
                    f"when each has at least {data.min_projects} projects (hollow points "
                    "have fewer)."
                )
            )
        )
        blocks.append(
            ItemList(tuple(Item(spans(trend_sentence(s, data.min_projects))) for s in series))
        )
        if "trends" in charts:
            blocks.append(Chart("trends", "Metric trends, one panel per metric"))
        blocks.append(_trend_table(data, series))
    else:
        blocks.append(Paragraph(spans("Not enough data for trends yet.")))
    if "calibration" in charts:
        blocks += [
            Heading(3, "Confidence calibration"),
            Paragraph(spans("Stated confidence against actual success, per role.")),
            Chart("calibration", "Confidence calibration by role"),
        ]
    if "strategies" in charts:
        blocks += [
            Heading(3, "Auto-fix strategies"),
            Paragraph(spans("Success rate of each auto-fix strategy, with its 95% interval.")),
            Chart("strategies", "Auto-fix strategies"),
        ]
    return blocks


def _loops(data: ReportData) -> list[Block]:
    if not data.loop_actions:
        return [Paragraph(spans("No feedback loop fired."))]
    return [
        ItemList(
            tuple(
                Item(
                    spans(
                        Strong(a.loop_id),
                        ": ",
                        quoted_code(a.trigger),
                        f" → {', '.join(a.actions)}",
                    )
                )
                for a in data.loop_actions
            )
        )
    ]


def _all_findings(data: ReportData) -> list[Block]:
    rows = [f for f in ranked(data.findings) if f.status != Status.INCONCLUSIVE]
    if not rows:
        return [Paragraph(spans("No findings."))]
    table = Table(
        ("status", "severity", "pattern", "finding", "evidence"),
        tuple(
            (
                (str(f.status).replace("_", " "),),
                (str(f.severity),),
                (str(f.pattern),),
                (f.title,),
                evidence(f),
            )
            for f in rows
        ),
    )
    blocks: list[Block] = [table]
    if len(rows) < len(data.findings):
        blocks.append(
            Paragraph(spans(f"Inconclusive items are listed apart under {INCONCLUSIVE}."))
        )
    return blocks


def _inconclusive(data: ReportData) -> list[Block]:
    rows = inconclusive(data.findings)
    if not rows:
        return [Paragraph(spans("No inconclusive items."))]
    items = tuple(Item(spans(f"{f.title}: ", evidence(f))) for f in rows)
    summary = spans(
        f"{len(rows)} inconclusive item{'s' if len(rows) != 1 else ''}: too few projects to "
        "tell; never acted on."
    )
    return [Details(summary, (ItemList(items),))]


def _how_to_read(data: ReportData) -> list[Block]:
    return [
        Paragraph(
            spans(
                "Every number comes from the raw events under ",
                Code(".autoforge/ai/training_data/raw/"),
                "; intervals are 95%.",
            )
        ),
        Paragraph(
            spans(
                "Top actions are discoveries (claims that survive this run's false discovery "
                "correction) of high or medium severity, ranked by severity, then by adjusted "
                "effect (the end of the effect's 95% interval nearest zero) relative to the "
                "finding's baseline value, then by q-value (the p-value adjusted with "
                "Benjamini-Hochberg). "
                "Findings whose detector does not test a hypothesis yet say "
                '"not tested across projects" and rank after the tested ones of their '
                "severity, by impact."
            )
        ),
        Paragraph(
            spans(
                "Inconclusive items rest on too few projects to tell: they are listed apart "
                "and never acted on. Findings that are not significant, and context, are "
                f"under {ALL_FINDINGS}; where known they give the smallest effect their "
                "projects could detect (80% power), what the result can rule out. "
                "Findings marked ",
                Strong("thin evidence"),
                " rest on too few observations to act on alone.",
            )
        ),
        Paragraph(
            spans(
                f"Months are compared only when each has at least {data.min_projects} "
                "projects (the ",
                Code("patterns.min_projects"),
                " setting). Regenerate with ",
                Code("autoforge train"),
                ".",
            )
        ),
    ]


def build_document(data: ReportData, charts: list[str] | None = None) -> Document:
    """The report as one document (see the module docstring); ``charts`` names the
    charts to place (default: every chart the data have)."""
    charts = chart_names(data) if charts is None else charts
    sections: list[tuple[str, list[Block]]] = [
        (SUMMARY, _summary(data)),
        (TOP_ACTIONS, _top_actions(data)),
        (IMPROVEMENTS, _improvements(data)),
        (NEXT_ACTIONS, _next_actions(data)),
        (EXPERIMENTS, experiments_section(data, charts)),
        (TRENDS, _trends(data, charts)),
        (LOOPS, _loops(data)),
        (ALL_FINDINGS, _all_findings(data)),
        (INCONCLUSIVE, _inconclusive(data)),
        (HOW_TO_READ, _how_to_read(data)),
    ]
    assert tuple(name for name, _ in sections) == SECTIONS
    blocks: list[Block] = [
        Paragraph(spans(Emph(f"Generated {data.generated_at.isoformat()} from {data.scope}.")))
    ]
    for name, body in sections:
        blocks.append(Heading(2, name))
        blocks.extend(body)
    return Document(data.title, blocks)


def executive_summary(data: ReportData) -> list[str]:
    """The three bullets of the executive summary, as plain text."""
    return [plain(s) for s in summary_items(data)]


__all__ = [
    "SECTIONS",
    "adjusted_effect",
    "build_document",
    "evidence",
    "executive_summary",
    "inconclusive",
    "is_action",
    "rank_key",
    "relative_effect",
    "ranked",
    "top_actions",
    "trend_sentence",
]
