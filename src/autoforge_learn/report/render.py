"""Render a learning report as Markdown (PNG charts) and as HTML (interactive charts)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from autoforge_learn.findings import Finding, Severity
from autoforge_learn.report.charts import plotly_divs, render_pngs
from autoforge_learn.report.data import ReportData, TrendSeries

TEMPLATE_NAME = "LEARNING_REPORT_TEMPLATE.md"
_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.INFO: 3}
_MAX_IMPROVEMENTS = 8
_MAX_ACTIONS = 8


def template_text() -> str:
    """The shipped report template (``LEARNING_REPORT_TEMPLATE.md``)."""
    return resources.files("autoforge_learn.report").joinpath(TEMPLATE_NAME).read_text()


def ranked(findings: list[Finding]) -> list[Finding]:
    """Findings by severity, then impact, then id (stable)."""
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], -f.impact, f.id))


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "seconds":
        return f"{value / 3600:.1f} h" if value >= 3600 else f"{value / 60:.0f} min"
    if unit.startswith("USD"):
        return f"${value:,.2f}"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def _trend_sentence(series: TrendSeries) -> str | None:
    change = series.change()
    if change is None:
        return None
    first, last = change
    if first == last:
        return f"{series.label} held at {_fmt(last, series.unit)}"
    better = (last < first) == series.lower_is_better
    verb = "improved" if better else "worsened"
    return f"{series.label} {verb} from {_fmt(first, series.unit)} to {_fmt(last, series.unit)}"


def _biggest_trend(data: ReportData) -> str | None:
    best: tuple[float, str] | None = None
    for series in data.trends:
        change = series.change()
        sentence = _trend_sentence(series)
        if change is None or sentence is None or change[0] == 0:
            continue
        size = abs(change[1] - change[0]) / abs(change[0])
        if best is None or size > best[0]:
            best = (size, sentence)
    return best[1] if best else None


def executive_summary(data: ReportData) -> list[str]:
    """Three bullets: the biggest problem, the biggest trend, the first action."""
    top = ranked(data.findings)
    serious = [f for f in top if f.severity in (Severity.HIGH, Severity.MEDIUM)]
    if serious:
        first = serious[0]
        problem = f"{len(serious)} pattern(s) need attention; the largest: {first.title}" + (
            " (thin evidence)" if first.thin_evidence else ""
        )
    else:
        problem = "No pattern crosses its threshold: the pipeline runs within its limits."
    trend = _biggest_trend(data) or "Not enough months of data to show a trend yet."
    if data.suggestions:
        s = data.suggestions[0]
        action = (
            f"Apply {s.suggestion_id} ({s.suggestion_type}, {s.agent_role}, "
            f"confidence {s.confidence:.2f}) to section "
            f"`{s.proposed_change.section}`: `autoforge prompts apply {s.suggestion_id}`"
        )
    elif serious:
        action = "Review the findings below; no prompt change could be generated for them."
    else:
        action = "No change is suggested; keep collecting data."
    return [problem, trend + ".", action]


def _evidence_line(f: Finding) -> str:
    interval = f" (95% interval {f.interval[0]:.3g}-{f.interval[1]:.3g})" if f.interval else ""
    thin = " **thin evidence**" if f.thin_evidence else ""
    return f"{f.metric} = {f.value:.3g}{interval}, n = {f.sample_size}{thin}"


def _improvements_md(data: ReportData) -> str:
    rows = [f for f in ranked(data.findings) if f.severity in (Severity.HIGH, Severity.MEDIUM)]
    if not rows:
        return "Nothing crossed a threshold in this period."
    lines = []
    for f in rows[:_MAX_IMPROVEMENTS]:
        lines.append(f"- **[{f.severity}] {f.title}**  \n  {_evidence_line(f)}")
        for example in f.examples[:2]:
            if example.text:
                lines.append(f'  - e.g. `{example.event_id}`: "{example.text}"')
    if len(rows) > _MAX_IMPROVEMENTS:
        lines.append(f"- ... and {len(rows) - _MAX_IMPROVEMENTS} more (see All findings).")
    return "\n".join(lines)


def _actions_md(data: ReportData) -> str:
    lines = []
    for s in data.suggestions[:_MAX_ACTIONS]:
        change, impact = s.proposed_change, s.expected_impact
        lines.append(
            f"1. **{s.suggestion_id}** {s.agent_role}: {s.suggestion_type} in "
            f"`{change.prompt_file}#{change.section}` "
            f"(confidence {s.confidence:.2f}, effort "
            f"{s.implementation_effort}, risk {s.risk}).  \n"
            f"   {change.rationale.strip()}  \n"
            f"   Expected: gate success +{impact.gate_success_improvement:.0%}, "
            f"retries -{impact.retry_reduction:.0%}.  \n"
            f"   Apply: `autoforge prompts apply {s.suggestion_id}`"
        )
    if len(data.suggestions) > _MAX_ACTIONS:
        lines.append(f"\n... and {len(data.suggestions) - _MAX_ACTIONS} more in the YAML file.")
    return "\n".join(lines) if lines else "No prompt change is suggested this time."


def _loops_md(data: ReportData) -> str:
    if not data.loop_actions:
        return "No feedback loop fired."
    lines = []
    for a in data.loop_actions:
        lines.append(f"- **{a.loop_id}**: {a.trigger} → {', '.join(a.actions)}")
    return "\n".join(lines)


def _findings_table(data: ReportData) -> str:
    if not data.findings:
        return "No findings."
    lines = ["| severity | pattern | finding | n | thin |", "|---|---|---|---|---|"]
    for f in ranked(data.findings):
        title = f.title.replace("|", "\\|")
        thin = "yes" if f.thin_evidence else ""
        lines.append(f"| {f.severity} | {f.pattern} | {title} | {f.sample_size} | {thin} |")
    return "\n".join(lines)


def _trends_md(data: ReportData, charts: dict[str, Path], directory: Path) -> str:
    parts = []
    sentences = [s for s in (_trend_sentence(t) for t in data.trends) if s]
    if sentences:
        parts.append("\n".join(f"- {s}" for s in sentences))
    titles = {
        "trends": "Metric trends",
        "calibration": "Confidence calibration",
        "strategies": "Auto-fix strategies",
    }
    for name, path in charts.items():
        parts.append(f"![{titles[name]}]({path.relative_to(directory).as_posix()})")
    return "\n\n".join(parts) if parts else "Not enough data for trends yet."


@dataclass(frozen=True)
class RenderedReport:
    """Paths of a rendered report."""

    markdown: Path
    html: Path | None
    charts: dict[str, Path]


def render_markdown(data: ReportData, path: Path, *, charts: bool = True) -> RenderedReport:
    """Write the Markdown report at ``path`` and its PNG charts in ``<dir>/assets/``."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(data, directory / "assets", stem=path.stem) if charts else {}
    text = Template(template_text()).safe_substitute(
        title=data.title,
        generated_at=data.generated_at.isoformat(),
        scope=data.scope,
        executive_summary="\n".join(f"- {b}" for b in executive_summary(data)),
        key_improvements=_improvements_md(data),
        next_actions=_actions_md(data),
        metric_trends=_trends_md(data, pngs, directory),
        loops=_loops_md(data),
        findings_table=_findings_table(data),
    )
    path.write_text(text)
    return RenderedReport(markdown=path, html=None, charts=pngs)


def _li(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def render_html(data: ReportData, path: Path) -> Path:
    """Write a standalone HTML report with interactive plotly charts.

    plotly.js is written once beside the page (``assets/plotly.min.js``) and loaded from
    there: the page needs no network.
    """
    from plotly.offline import get_plotlyjs

    directory = path.parent
    assets = directory / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    script = assets / "plotly.min.js"
    if not script.exists():
        script.write_text(get_plotlyjs())
    divs = plotly_divs(data)
    findings = ranked(data.findings)
    rows = "".join(
        "<tr>"
        f"<td class='sev-{f.severity}'>{f.severity}</td><td>{html.escape(str(f.pattern))}</td>"
        f"<td>{html.escape(f.title)}</td><td>{html.escape(_evidence_line(f))}</td></tr>"
        for f in findings
    )
    actions = "".join(
        f"<li><b>{html.escape(s.suggestion_id)}</b> {html.escape(s.agent_role)}: "
        f"{html.escape(s.suggestion_type)} — {html.escape(s.proposed_change.rationale)}"
        f"<br><code>autoforge prompts apply {html.escape(s.suggestion_id)}</code></li>"
        for s in data.suggestions
    )
    body: list[Any] = [
        f"<h1>{html.escape(data.title)}</h1>",
        f"<p class='meta'>Generated {data.generated_at.isoformat()} from "
        f"{html.escape(data.scope)}.</p>",
        "<h2>Executive summary</h2>",
        _li(executive_summary(data)),
        "<h2>Suggested next actions</h2>",
        f"<ol>{actions}</ol>" if actions else "<p>No prompt change is suggested.</p>",
        "<h2>Metric trends</h2>",
        *divs.values(),
        "<h2>Findings</h2>",
        "<table><tr><th>severity</th><th>pattern</th><th>finding</th><th>evidence</th></tr>"
        f"{rows}</table>",
    ]
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(data.title)}</title>"
        "<script src='assets/plotly.min.js'></script><style>"
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;width:100%;font-size:14px}"
        "td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left}"
        ".sev-high{color:#b91c1c;font-weight:bold}.sev-medium{color:#c2410c}"
        ".meta{color:#6b7280}code{background:#f3f4f6;padding:1px 4px}"
        "</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )
    path.write_text(page)
    return path
