"""The sections of a learning report, built once for both renderings.

:func:`build_document` turns :class:`~autoforge_learn.report.data.ReportData` into a
:class:`~autoforge_learn.report.document.Document`; the Markdown and the HTML report are
two renderings of it, so they hold the same sections (:data:`SECTIONS`, in this order)
with the same text.

The findings are ordered by :mod:`autoforge_learn.report.ranking`; numbers are put in
words by :mod:`autoforge_learn.report.phrases`.
"""

from __future__ import annotations

from autoforge_learn.findings import Finding, Status
from autoforge_learn.report.charts import chart_names, trend_panels
from autoforge_learn.report.data import ReportData
from autoforge_learn.report.document import (
    Block,
    Chart,
    Code,
    Details,
    Document,
    Emph,
    Heading,
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
from autoforge_learn.report.howto import how_to_read
from autoforge_learn.report.phrases import (
    biggest_trend,
    evidence,
    finding_tag,
    trend_sentence,
    trend_table,
)
from autoforge_learn.report.ranking import (
    adjusted_effect,
    already_fixed,
    inconclusive,
    is_action,
    open_actions,
    rank_key,
    ranked,
    ranked_suggestions,
    relative_effect,
    top_actions,
)
from autoforge_learn.words import plural

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



# -- sections ----------------------------------------------------------------------------


def summary_items(data: ReportData) -> list[Spans]:
    """Three bullets: the first top action, the biggest trend, the first suggestion."""
    actions = open_actions(data)
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
        # Silence is not health when most items wait for more projects: say which it is.
        projects = int(data.totals.get("projects", 0))
        problem = spans(
            f"No finding calls for action: {plural(waiting, 'item')} too thin to judge with "
            f"{plural(projects, 'project')} (listed apart); more projects will tell."
            if waiting
            else "No finding calls for action: every tested difference is within chance."
        )
    trend = spans(biggest_trend(data))
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
    actions = open_actions(data)
    blocks: list[Block] = []
    if not actions:
        blocks.append(Paragraph(spans("No finding calls for action in this period.")))
    else:
        items = tuple(
            Item(spans(finding_tag(f), ": ", evidence(f))) for f in actions[:MAX_TOP_ACTIONS]
        )
        blocks.append(ItemList(items, ordered=True, css="top-actions"))
    fixed = len(already_fixed(data))
    if fixed:
        also = "more " if actions else ""
        about = ("concerns an older prompt version" if fixed == 1
                 else "concern older prompt versions")
        blocks.append(Paragraph(spans(
            f"{plural(fixed, also + 'discovery', also + 'discoveries')} {about} whose problem "
            f"the role's current default already fixes (under {NEXT_ACTIONS})."
        )))
    blocks += _rest(len(actions), MAX_TOP_ACTIONS, f"under {IMPROVEMENTS}")
    return blocks


def _improvements(data: ReportData) -> list[Block]:
    actions = open_actions(data)
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
        items.append(Item(spans(finding_tag(f)), tuple(sub)))
    blocks: list[Block] = [ItemList(tuple(items))]
    blocks += _rest(len(actions), MAX_IMPROVEMENTS, f"under {ALL_FINDINGS}")
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
    blocks += _rest(len(suggestions), MAX_SUGGESTIONS, "in the suggestions YAML file")
    return blocks + _set_aside(data)


def _rest(total: int, shown: int, where: str) -> list[Block]:
    """``... and N more <where>.`` when a list was cut at ``shown`` items."""
    if total <= shown:
        return []
    return [Paragraph(spans(f"... and {total - shown} more {where}."))]


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
        blocks.append(trend_table(data, series))
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


def _findings_table(rows: list[Finding]) -> Table:
    return Table(
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


def _all_findings(data: ReportData) -> list[Block]:
    """Discoveries and descriptions in a table; the claims tested and not supported
    collapsed under it (they matter to whoever asks "did you check X?", not to every
    reader); the inconclusive ones have their own section."""
    shown = [f for f in ranked(data.findings)
             if f.status in (Status.DISCOVERY, Status.CONTEXT)]
    rejected = [f for f in ranked(data.findings) if f.status == Status.NOT_SIGNIFICANT]
    if not shown and not rejected:
        return [Paragraph(spans("No findings."))]
    blocks: list[Block] = [_findings_table(shown)] if shown else [
        Paragraph(spans("No discovery: no claim survived the false discovery correction."))]
    if rejected:
        summary = spans(f"{plural(len(rejected), 'claim')} tested and not supported by the "
                        "data (not beyond chance across projects)")
        blocks.append(Details(summary, (_findings_table(rejected),)))
    if any(f.status == Status.INCONCLUSIVE for f in data.findings):
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
        (HOW_TO_READ, how_to_read(data, all_findings=ALL_FINDINGS)),
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
