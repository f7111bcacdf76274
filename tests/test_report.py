"""The learning report: one document, two renderings (Markdown with PNGs, HTML)."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest

from autoforge_learn.findings import (
    CalibrationBucket,
    Example,
    Finding,
    Hypothesis,
    Pattern,
    Severity,
    Status,
)
from autoforge_learn.patterns.loops import LoopAction
from autoforge_learn.report import (
    SECTIONS,
    ReportData,
    TrendSeries,
    executive_summary,
    render_html,
    render_markdown,
)
from autoforge_learn.report.charts import trends_figure, trends_figure_png
from autoforge_learn.report.data import ChangeTest
from autoforge_learn.report.document import plain
from autoforge_learn.report.files import projects_by_month, trend_series
from autoforge_learn.report.sections import adjusted_effect, evidence, top_actions
from autoforge_learn.suggest import Suggestion

GATE = "api_contract_present fails 31% for missing error definitions"
TOKENS = "architect.v1.2 uses 40% more tokens per success"
RETRIES = "qa retries 1.4 per stage"
LEGACY = "engineer hands off without tests"
CALIBRATION = "engineer states 90% confidence and succeeds 70%"
INCONCLUSIVE = "reviewer overrides 60% of mobile decisions"
NOT_SIGNIFICANT = "pm retries 1.1 per stage"


def _hypothesis(effect, low, high, q, projects, baseline="the other versions"):
    return Hypothesis(
        claim=f"the effect is above 0 against {baseline}",
        test="permutation test over projects",
        p_value=q / 2,
        effect=effect,
        effect_low=low,
        effect_high=high,
        baseline=baseline,
        projects=projects,
        q_value=q,
    )


def _finding(pattern, key, title, severity, value, n, **kw):
    return Finding(
        pattern=pattern,
        key=key,
        title=title,
        severity=severity,
        metric="rate",
        value=value,
        sample_size=n,
        **kw,
    )


def _suggestion(suggestion_id, role, finding_ids):
    return Suggestion.from_dict(
        {
            "suggestion_id": suggestion_id,
            "agent_role": role,
            "suggestion_type": "constraint_clarity",
            "confidence": 0.85,
            "evidence": [{"gate_failure_rate": 0.31}],
            "proposed_change": {
                "prompt_file": f"ai/prompts/{role}.yaml",
                "section": "API_contract_generation",
                "old_text": "a",
                "new_text": "b",
                "rationale": f"{role} missed error responses.",
            },
            "expected_impact": {
                "gate_success_improvement": 0.3,
                "retry_reduction": 0.4,
                "token_efficiency": "neutral",
            },
            "implementation_effort": "low",
            "risk": "low",
            "finding_ids": finding_ids,
        }
    )


MONTHS = {"2025-08": 30, "2025-09": 4, "2025-10": 25}


@pytest.fixture(scope="module")
def data() -> ReportData:
    gate = _finding(
        Pattern.GATE_FAILURE_ROOT_CAUSE,
        {"gate_id": "api_contract_present", "cause": "missing error definitions"},
        GATE,
        Severity.HIGH,
        0.31,
        400,
        interval=(0.27, 0.36),
        impact=90.0,
        examples=[Example("e1", "P1", "Missing error code definitions for 4 endpoints")],
        baseline=0.16,
        hypothesis=_hypothesis(0.15, 0.09, 0.21, 0.002, 42),
        status=Status.DISCOVERY,
        projects=42,
    )
    # Medium discoveries rank by adjusted effect relative to their baseline value: the
    # retries' 0.2 of 0.8 (25%) comes before the tokens' 1,000 of 10,000 (10%), although
    # the tokens' effect is larger in its own unit and its q-value smaller.
    tokens = _finding(
        Pattern.TOKEN_EFFICIENCY,
        {"prompt_version": "architect.v1.2"},
        TOKENS,
        Severity.MEDIUM,
        14000.0,
        300,
        baseline=10000.0,
        hypothesis=_hypothesis(2000.0, 1000.0, 3000.0, 0.001, 30, "architect.v1.1"),
        status=Status.DISCOVERY,
        projects=30,
    )
    retries = _finding(
        Pattern.RETRY_HOTSPOT,
        {"agent_role": "qa"},
        RETRIES,
        Severity.MEDIUM,
        1.4,
        120,
        impact=400.0,
        baseline=0.8,
        hypothesis=_hypothesis(0.6, 0.2, 1.0, 0.04, 25, "threshold 0.8"),
        status=Status.DISCOVERY,
        projects=25,
    )
    # No usable baseline value (zero): after the medium ones that have one.
    calibration = _finding(
        Pattern.CONFIDENCE_CALIBRATION,
        {"agent_role": "engineer"},
        CALIBRATION,
        Severity.MEDIUM,
        0.2,
        50,
        baseline=0.0,
        hypothesis=_hypothesis(0.12, 0.05, 0.19, 0.02, 22, "threshold 0.1"),
        status=Status.DISCOVERY,
        projects=22,
    )
    # An old detector's finding: no hypothesis, status context, severity from its threshold.
    legacy = _finding(
        Pattern.HANDOFF,
        {"from_role": "engineer", "to_role": "qa"},
        LEGACY,
        Severity.MEDIUM,
        0.2,
        12,
        interval=(0.05, 0.5),
        impact=5.0,
        thin_evidence=True,
    )
    # A huge effect on too few projects: listed apart, never a top action.
    unsure = _finding(
        Pattern.HUMAN_OVERRIDE,
        {"agent_role": "reviewer", "platform": "mobile"},
        INCONCLUSIVE,
        Severity.LOW,
        0.6,
        40,
        hypothesis=_hypothesis(2.0, 1.5, 2.5, 0.01, 4),
        status=Status.INCONCLUSIVE,
        projects=4,
    )
    chance = _finding(
        Pattern.RETRY_HOTSPOT,
        {"agent_role": "pm"},
        NOT_SIGNIFICANT,
        Severity.LOW,
        1.1,
        90,
        hypothesis=replace(_hypothesis(0.1, -0.1, 0.3, 0.4, 28), detectable=0.25),
        status=Status.NOT_SIGNIFICANT,
        projects=28,
    )
    strategies = [
        _finding(
            Pattern.AUTO_FIX_STRATEGY,
            {"strategy": "architect_drafts_stub"},
            "architect_drafts_stub succeeds 90%",
            Severity.INFO,
            0.9,
            30,
            interval=(0.74, 0.97),
        ),
        _finding(
            Pattern.AUTO_FIX_STRATEGY,
            {"strategy": "engineer_refactors_existing"},
            "engineer_refactors_existing succeeds 20%",
            Severity.INFO,
            0.2,
            4,
            interval=(0.04, 0.62),
        ),
    ]
    return ReportData(
        title="Learning report 2025-10",
        generated_at=date(2025, 11, 1),
        scope="200 projects, 2025-05 to 2025-10",
        findings=[legacy, chance, calibration, unsure, retries, *strategies, tokens, gate],
        # The engine's first suggestion addresses the legacy finding, the second the gate.
        suggestions=[
            _suggestion("SUG-2025-10-001", "engineer", [legacy.id]),
            _suggestion("SUG-2025-10-002", "architect", [gate.id]),
        ],
        loop_actions=[
            LoopAction(
                loop_id="loop_1_gate_failures",
                trigger="same root cause 3+ times",
                actions=["extract_failure_examples", "propose_prompt_improvement"],
            )
        ],
        trends=[
            TrendSeries(
                "gate_failure_rate",
                "Gate failure rate",
                "share",
                [("2025-08", 0.25), ("2025-09", 0.40), ("2025-10", 0.12)],
                projects=MONTHS,
                change_test=ChangeTest("2025-08", "2025-10", -0.13, -0.2, -0.06, 0.002,
                                       (30, 25), "Welch t", q_value=0.006),
            ),
            TrendSeries(
                "avg_retries",
                "Avg retries per task",
                "retries",
                [("2025-08", 0.9), ("2025-09", None), ("2025-10", 1.1)],
                projects=MONTHS,
                change_test=ChangeTest("2025-08", "2025-10", 0.2, 0.05, 0.35, 0.01,
                                       (30, 25), "Welch t", q_value=0.015),
            ),
            TrendSeries(
                "time_to_first_prototype",
                "Time to first prototype",
                "seconds",
                [("2025-08", 7200.0), ("2025-09", 5400.0), ("2025-10", 3600.0)],
                projects=MONTHS,
            ),
        ],
        calibration={
            "engineer": [
                CalibrationBucket(
                    lower=0.8,
                    upper=1.0,
                    mean_predicted=0.9,
                    observed_rate=0.7,
                    count=30,
                    interval=None,
                ),
                CalibrationBucket(
                    lower=0.6,
                    upper=0.8,
                    mean_predicted=0.7,
                    observed_rate=0.6,
                    count=20,
                    interval=None,
                ),
            ]
        },
    )


# -- reading the renderings back -----------------------------------------------------------


class _Page(HTMLParser):
    """Headings, top-action items, details, links and visible text of an HTML report."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.top_actions: list[str] = []
        self.details: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.scripts: list[dict[str, str | None]] = []
        self.script_sizes: list[int] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._heading: str | None = None
        self._in_top = 0
        self._item: list[str] | None = None
        self._details = 0
        self._detail_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.links += [(tag, k, v or "") for k, v in attrs if k in ("src", "href", "data")]
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")
        if tag == "script":
            self.scripts.append(attributes)
            self.script_sizes.append(0)
        if tag in ("h1", "h2", "h3"):
            self._heading = ""
        if tag == "ol" and attributes.get("class") == "top-actions":
            self._in_top = 1
        elif tag in ("ol", "ul") and self._in_top:
            self._in_top += 1
        if tag == "li" and self._in_top == 1:
            self._item = []
        if tag == "details":
            self._details += 1
            self._detail_text = []
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append((tag, self._heading))
            self._heading = None
        if tag in ("ol", "ul") and self._in_top:
            self._in_top -= 1
        if tag == "li" and self._item is not None and self._in_top == 1:
            self.top_actions.append("".join(self._item))
            self._item = None
        if tag == "details":
            self.details.append("".join(self._detail_text))
            self._details -= 1
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "script":
            self.script_sizes[-1] += len(data)
            return
        if self._stack and self._stack[-1] == "style":
            return
        self.text.append(data)
        if self._heading is not None:
            self._heading += data
        if self._item is not None:
            self._item.append(data)
        if self._details:
            self._detail_text.append(data)


def _page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _md_plain(line: str) -> str:
    """A Markdown line without its markup (what a reader sees)."""
    line = re.sub(r"^\s*(?:\d+\.|-)\s+", "", line)
    line = line.replace("**", "").replace("`", "")
    line = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", line)
    return re.sub(r"\\(.)", r"\1", line)


def _md_section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _md_top_actions(text: str) -> list[str]:
    section = _md_section(text, "Top actions")
    return [_md_plain(line) for line in section.splitlines() if re.match(r"\d+\. ", line)]


@pytest.fixture(scope="module")
def rendered(data, tmp_path_factory):
    """The fixture's report rendered once (the tests only read it)."""
    directory = tmp_path_factory.mktemp("report")
    markdown = render_markdown(data, directory / "md" / "training_2025-11-01.md")
    html = render_html(data, directory / "html" / "training_2025-11-01.html")
    return markdown, markdown.markdown.read_text(), html.read_text()


# -- one template, two renderings ----------------------------------------------------------


def test_both_renderings_hold_the_same_sections_in_order(rendered):
    _out, md, html = rendered
    md_headings = re.findall(r"^(#{1,3}) (.+)$", md, flags=re.M)
    page = _page(html)
    assert [(f"h{len(h)}", t) for h, t in md_headings] == page.headings
    assert [t for h, t in md_headings if h == "##"] == list(SECTIONS)
    assert ("h1", "Learning report 2025-10") == page.headings[0]
    # The HTML now has the sections it used to lack.
    assert {"Key improvements identified", "Feedback loops fired"} <= {t for _h, t in page.headings}


def test_both_renderings_hold_the_same_top_actions_ranked(rendered):
    _out, md, html = rendered
    md_lines = _md_top_actions(md)
    html_lines = _page(html).top_actions
    assert md_lines == html_lines
    assert len(md_lines) == 5
    # High first; then medium by relative adjusted effect (see the fixture); the untested
    # finding after the tested ones of its severity.
    for line, title in zip(md_lines, (GATE, RETRIES, TOKENS, CALIBRATION, LEGACY), strict=True):
        assert title in line
    assert md_lines[0].startswith("[high]") and md_lines[1].startswith("[medium]")
    assert "42 projects" in md_lines[0] and "95% interval 0.09 to 0.21" in md_lines[0]
    assert "q = 0.002" in md_lines[0] and "against the other versions" in md_lines[0]
    assert "25 projects" in md_lines[1] and "95% interval 0.2 to 1" in md_lines[1]
    assert "effect +2,000 against architect.v1.1 (95% interval 1,000 to 3,000)" in md_lines[2]
    assert "q = 0.001" in md_lines[2]
    assert "not tested across projects" in md_lines[4] and "thin evidence" in md_lines[4]
    assert "projects not counted" in md_lines[4] and "95% interval 0.05 to 0.5" in md_lines[4]


def test_the_same_words_appear_in_both_renderings(rendered):
    _out, md, html = rendered
    visible = " ".join("".join(_page(html).text).split())
    lines = [_md_plain(line) for line in md.splitlines()]
    words = [line for line in lines if line and not line.startswith(("#", "|", "!["))]
    assert len(words) > 20
    missing = [line for line in words if " ".join(line.split()) not in visible]
    assert missing == [], missing


def test_html_holds_no_markdown_syntax(rendered):
    _out, _md, html = rendered
    visible = "".join(_page(html).text)
    assert "thin evidence" in visible
    for syntax in ("**", "`", "](", "\n## ", "\n- "):
        assert syntax not in visible, syntax
    assert "<strong>thin evidence</strong>" in html


def test_executive_summary_follows_the_ranking(data, rendered):
    _out, md, html = rendered
    bullets = executive_summary(data)
    assert len(bullets) == 3
    assert bullets[0].startswith("5 findings call for action; the first: " + GATE)
    assert "42 projects" in bullets[0]
    # The largest relative change between months with enough projects.
    assert bullets[1] == (
        "Gate failure rate improved from 25.0% in 2025-08 to 12.0% in 2025-10 "
        "(30 and 25 projects, q = 0.006)."
    )
    # The first suggestion addresses the first top action (the engine listed it second).
    assert "SUG-2025-10-002" in bullets[2]
    assert "autoforge prompts apply SUG-2025-10-002" in bullets[2]
    summary = _md_section(md, "Executive summary")
    assert [_md_plain(line) for line in summary.splitlines() if line.startswith("- ")] == bullets
    actions = _md_section(md, "Suggested next actions")
    assert actions.index("SUG-2025-10-002") < actions.index("SUG-2025-10-001")


def test_inconclusive_items_are_collapsed_and_never_top_actions(data, rendered):
    _out, md, html = rendered
    titles = [f.title for f in top_actions(data.findings)]
    assert titles == [GATE, RETRIES, TOKENS, CALIBRATION, LEGACY]
    page = _page(html)
    assert all(INCONCLUSIVE not in line for line in page.top_actions)
    (collapsed,) = [d for d in page.details if INCONCLUSIVE in d]
    assert "1 inconclusive item: too few projects to tell" in collapsed
    assert html.count(INCONCLUSIVE) == 1  # only inside the <details>
    assert md.count(INCONCLUSIVE) == 1
    assert INCONCLUSIVE in _md_section(md, "Inconclusive items")


def test_all_findings_hold_not_significant_collapsed_and_context(rendered):
    _out, md, html = rendered
    table = _md_section(md, "All findings")
    rows = [line for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| status ")]
    assert len(rows) == 8  # every finding but the inconclusive one
    assert "1 claim tested and not supported by the data" in table
    assert any(NOT_SIGNIFICANT in d for d in _page(html).details)  # collapsed
    (chance,) = [r for r in rows if NOT_SIGNIFICANT in r]
    assert chance.startswith("| not significant | low |")
    assert "q = 0.4, 28 projects, smallest detectable effect 0.25 (80% power)" in chance
    assert any("architect_drafts_stub" in r and r.startswith("| context | info |") for r in rows)
    assert rows[0].startswith("| discovery | high |") and GATE in rows[0]


# -- self-contained HTML -------------------------------------------------------------------


def test_html_is_self_contained_when_moved_alone(data, tmp_path):
    written = render_html(data, tmp_path / "r" / "training.html")
    assert sorted(p.name for p in written.parent.iterdir()) == ["training.html"]
    moved = tmp_path / "elsewhere" / "mailed.html"
    moved.parent.mkdir()
    shutil.copyfile(written, moved)
    shutil.rmtree(written.parent)
    text = moved.read_text()
    page = _page(text)
    outside = [(tag, attr, v) for tag, attr, v in page.links if not v.startswith(("data:", "#"))]
    assert outside == []
    assert page.scripts and all("src" not in attrs for attrs in page.scripts)
    # plotly.js itself is inline (several MB), then one script per chart.
    assert max(page.script_sizes) > 1_000_000
    assert "<link" not in text and "@import" not in text
    charts = ["chart-trends", "chart-calibration", "chart-strategies"]
    assert [i for i in page.ids if i.startswith("chart-")] == charts
    assert re.findall(r'Plotly\.newPlot\(\s*"([^"]+)"', text) == charts


def test_an_empty_period_still_renders(tmp_path):
    empty = ReportData(title="Empty", generated_at=date(2025, 1, 1), scope="0 projects")
    out = render_markdown(empty, tmp_path / "e.md")
    text = out.markdown.read_text()
    assert "No finding calls for action" in text
    assert "No prompt change is suggested" in text and out.charts == {}
    assert [h for h in re.findall(r"^## (.+)$", text, flags=re.M)] == list(SECTIONS)
    page = _page(render_html(empty, tmp_path / "e.html").read_text())
    assert [t for h, t in page.headings if h == "h2"] == list(SECTIONS)
    assert page.scripts == []  # no chart, no plotly.js


# -- charts and trends ---------------------------------------------------------------------


def test_markdown_charts_are_pngs_beside_it_and_reproducible(data, rendered, tmp_path):
    out, md, _html = rendered
    assert set(out.charts) == {"trends", "calibration", "strategies"}
    for name, png in out.charts.items():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"(assets/{png.name})" in md
    again = render_markdown(data, tmp_path / "again" / "training_2025-11-01.md")
    assert again.charts["trends"].read_bytes() == out.charts["trends"].read_bytes()


def test_trends_have_one_panel_per_metric_each_with_its_unit(data):
    fig = trends_figure(data)
    assert len(fig.data) == 3
    axes = [(t.xaxis, t.yaxis) for t in fig.data]
    assert len(set(axes)) == 3  # no two metrics share an axis
    units = [fig.layout[y.replace("y", "yaxis")].title.text for _x, y in axes]
    assert units == ["%", "retries", "hours"]
    gate = fig.data[0]
    assert list(gate.y) == pytest.approx([25.0, 40.0, 12.0])
    assert list(gate.customdata) == ["30 projects", "4 projects", "25 projects"]
    assert "%{customdata}" in gate.hovertemplate
    assert list(fig.layout.xaxis.ticktext) == [
        "2025-08<br>n=30",
        "2025-09<br>n=4",
        "2025-10<br>n=25",
    ]
    # Months with too few projects are hollow.
    assert list(gate.marker.color) == ["#2563eb", "white", "#2563eb"]

    png = trends_figure_png(data)
    panels = [ax for ax in png.axes if ax.get_visible() and ax.lines]
    assert [ax.get_ylabel() for ax in panels] == ["%", "retries", "hours"]
    assert [len(ax.lines) for ax in panels] == [1, 1, 1]
    ticks = [t.get_text() for t in panels[0].get_xticklabels()]
    assert ticks == ["2025-08\nn=30", "2025-09\nn=4", "2025-10\nn=25"]


def test_month_comparisons_skip_months_with_too_few_projects(rendered):
    _out, md, html = rendered
    trends = _md_section(md, "Metric trends")
    # 2025-09 (4 projects) is left out: 25% -> 12%, not 25% -> 40% -> 12%.
    assert "Gate failure rate improved from 25.0% in 2025-08 to 12.0% in 2025-10" in trends
    assert "Avg retries per task worsened from 0.90 in 2025-08 to 1.10 in 2025-10" in trends
    assert "2025-09 | 4 (too few to compare) | 40.0 |" in trends
    assert "| month | projects | Gate failure rate (%) |" in trends
    assert "from 25.0% in 2025-08 to 12.0% in 2025-10" in html


def test_months_with_too_few_projects_give_no_comparison(tmp_path):
    few = {"2025-08": 6, "2025-09": 9, "2025-10": 3}
    data = ReportData(
        title="Small",
        generated_at=date(2025, 11, 1),
        scope="18 projects",
        trends=[
            TrendSeries(
                "gate_failure_rate",
                "Gate failure rate",
                "share",
                [("2025-08", 0.5), ("2025-09", 0.2), ("2025-10", 0.1)],
                projects=few,
            ),
            # No project counts at all: never compared either.
            TrendSeries("quality_score", "Quality score", "points", [("a", 60.0), ("b", 90.0)]),
        ],
    )
    bullets = executive_summary(data)
    assert bullets[1] == (
        "No month-to-month comparison: the months have too few projects "
        "(at least 10 needed in each month compared)."
    )
    md = render_markdown(data, tmp_path / "s.md").markdown.read_text()
    html = render_html(data, tmp_path / "s.html").read_text()
    for text in (md, html):
        assert "Gate failure rate: no month-to-month comparison, the months have too few " in text
        assert "(0 of 3 months with data have at least 10)" in text
        assert "Quality score: no month-to-month comparison" in text
        for verb in ("improved from", "worsened from", "held at"):
            assert verb not in text
    # The threshold is a parameter: with 5, August and September compare; a change
    # is "improved" only once tested beyond chance.
    data.min_projects = 5
    assert executive_summary(data)[1] == (
        "No metric changed beyond chance between 2025-08 and 2025-09 (each change tested "
        "over the months' projects)."
    )
    data.trends[0].change_test = ChangeTest("2025-08", "2025-09", -0.3, -0.5, -0.1, 0.004,
                                            (6, 9), "Welch t")
    assert executive_summary(data)[1] == (
        "Gate failure rate improved from 50.0% in 2025-08 to 20.0% in 2025-09 "
        "(6 and 9 projects, q = 0.004)."
    )
    data.trends[0].change_test.p_value = 0.3
    assert "went from 50.0% in 2025-08 to 20.0% in 2025-09, within chance" in (
        render_markdown(data, tmp_path / "t.md").markdown.read_text())


def test_trend_series_carry_projects_per_month():
    import pandas as pd

    started = pd.Series(pd.to_datetime(["2025-08-03", "2025-08-30", None, "2025-09-01"], utc=True))
    counts = projects_by_month(started)
    assert counts == {"2025-08": 2, "2025-09": 1}
    months = [{"month": "2025-08", "gate_failure_rate": 0.2}, {"month": "2025-10"}]
    (series,) = trend_series(months, ["gate_failure_rate"], projects=counts)
    assert series.points == [("2025-08", 0.2), ("2025-10", None)]
    assert series.projects == {"2025-08": 2}
    assert series.unit == "share" and series.lower_is_better


# -- ranking -------------------------------------------------------------------------------


def test_adjusted_effect_is_the_interval_end_nearest_zero():
    assert adjusted_effect(_hypothesis(0.15, 0.09, 0.21, 0.01, 20)) == 0.09
    assert adjusted_effect(_hypothesis(-0.3, -0.5, -0.1, 0.01, 20)) == -0.1
    assert adjusted_effect(_hypothesis(0.1, -0.1, 0.3, 0.01, 20)) == 0.0
    unknown = _hypothesis(0.2, None, None, 0.01, 20)
    assert adjusted_effect(unknown) == 0.0
    finding = _finding(
        Pattern.RETRY_HOTSPOT, {"r": "x"}, "x", Severity.MEDIUM, 1.2, 40, hypothesis=unknown
    )
    assert "effect +0.2 against the other versions (no interval)" in plain(evidence(finding))


def test_findings_of_the_old_detectors_rank_by_severity_then_impact(tmp_path):
    def old(title, severity, impact):
        return _finding(
            Pattern.RETRY_HOTSPOT, {"t": title}, title, severity, 1.0, 50, impact=impact
        )

    findings = [
        old("medium big", Severity.MEDIUM, 300.0),
        old("info", Severity.INFO, 999.0),
        old("high small", Severity.HIGH, 1.0),
        old("low", Severity.LOW, 500.0),
        old("medium small", Severity.MEDIUM, 10.0),
    ]
    assert all(f.status == Status.CONTEXT and f.hypothesis is None for f in findings)
    data = ReportData(title="Old", generated_at=date(2025, 1, 1), scope="s", findings=findings)
    assert [f.title for f in top_actions(findings)] == ["high small", "medium big", "medium small"]
    md = render_markdown(data, tmp_path / "o.md", charts=False).markdown.read_text()
    lines = _md_top_actions(md)
    assert [line.split(":")[0] for line in lines] == [
        "[high] high small",
        "[medium] medium big",
        "[medium] medium small",
    ]
    assert executive_summary(data)[0].startswith("3 findings call for action; the first: high")
    assert _page(render_html(data, tmp_path / "o.html").read_text()).top_actions == lines


def test_a_discovery_the_current_default_fixed_is_no_top_action(data, tmp_path):
    """A cause only an older version has is listed as fixed, not as something to do."""
    from autoforge_learn.suggest.runs import SetAside

    gate = next(f for f in top_actions(data.findings) if GATE in f.title)
    fixed = replace(data, set_aside=[SetAside(gate.id, "qa", "already_fixed",
                                             "qa.v1.2 fails it in 1% of its runs")])
    out = render_markdown(fixed, tmp_path / "report.md")
    lines = _md_top_actions(out.markdown.read_text())
    assert len(lines) == 4 and not any(GATE in line for line in lines)
    text = out.markdown.read_text()
    assert "1 more discovery concerns an older prompt version whose problem the role's " \
           "current default already fixes" in text


def test_silence_on_thin_data_says_it_is_thin_not_healthy(data):
    from autoforge_learn.findings import Status
    from autoforge_learn.report.sections import summary_items

    thin = replace(data, findings=[f for f in data.findings if f.status == Status.INCONCLUSIVE])
    first = plain(summary_items(thin)[0])
    assert first.startswith("No finding calls for action: 1 item too thin to judge with")
    assert "within its limits" not in first


def _assert_laid_out(fig) -> None:
    """Every text and axes of a chart inside the figure, no two axes overlapping."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible() and ax.axison]
    texts = [t.get_window_extent(renderer) for t in fig.texts]
    assert boxes
    for box in boxes + texts:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    for text in texts:
        assert all(text.y1 < box.y0 for box in boxes)


def test_trend_panels_fit_their_fixed_margins_whatever_the_values():
    """The trend PNG is laid out with fixed margins (no measuring pass): wide tick
    labels, long titles and the footnote still fit in the figure without overlapping."""
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    wide = [
        TrendSeries(f"m{i}", f"A long metric label number {i}", unit,
                    [(m, scale * (1 + 0.37 * j)) for j, m in enumerate(months)],
                    projects={m: 3 + j for j, m in enumerate(months)})
        for i, (unit, scale) in enumerate(
            [("tokens", 2_345_678.0), ("USD/project", 0.0012345), ("share", 0.123456),
             ("seconds", 987_654.0), ("points", -12_345.5)])
    ]
    data = ReportData(title="Wide", generated_at=date(2026, 1, 1), scope="x", trends=wide)
    fig = trends_figure_png(data)
    assert len([ax for ax in fig.axes if ax.get_visible() and ax.lines]) == len(wide)
    assert len(fig.texts) == 1  # the footnote
    _assert_laid_out(fig)


def test_every_png_chart_fits_its_margins_with_long_names(data, tmp_path, monkeypatch):
    """Calibration, auto-fix strategies and forest plots are laid out from their labels'
    measured widths: very long strategy names, labels and titles still fit."""
    from autoforge_learn.report import charts
    from autoforge_learn.report.experiments import Forest, ForestRow
    from autoforge_learn.report.forest import forest_png

    drawn = []
    monkeypatch.setattr(charts, "_save", lambda fig, path: drawn.append(fig) or path)
    long = "a_very_long_auto_fix_strategy_name_that_keeps_going_on_and_on"
    strategies = [replace(f, key={"strategy": long + str(i)}) for i, f in enumerate(
        f for f in data.findings if f.pattern == Pattern.AUTO_FIX_STRATEGY)]
    assert strategies
    charts.calibration_png(data, tmp_path / "c.png")
    charts.strategies_png(replace(data, findings=strategies), tmp_path / "s.png")
    forest = Forest("forest-x", "An experiment whose title is long enough to run past a "
                    "seven inch wide figure if nothing made room for it at all",
                    (ForestRow("gate_pass_rate (engineer, rollout phase 2 of 3)", 12.5, -3.0,
                               28.0, "120/118"), ForestRow("cost", -4.0, -9.0, 1.0, "1/1")))
    forest_png(forest, tmp_path / "f.png")
    assert len(drawn) == 3
    for fig in drawn:
        _assert_laid_out(fig)


def test_the_chart_process_draws_the_bytes_drawn_here(data, tmp_path):
    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.report.charts import render_pngs

    process = ChartProcess.start()
    assert process is not None  # Linux: the charts are drawn beside the main work
    with process:
        assert process.submit(data, tmp_path / "there", stem="r")
        there = process.result()
    here = render_pngs(data, tmp_path / "here", stem="r")
    assert there is not None and set(there) == set(here) == {"trends", "calibration",
                                                             "strategies"}
    for name, path in here.items():
        assert there[name] == tmp_path / "there" / path.name
        assert there[name].read_bytes() == path.read_bytes()
    assert not process._process.is_alive()  # closed with the block


def test_a_dead_chart_process_leaves_the_charts_to_the_caller(data, tmp_path):
    from types import SimpleNamespace

    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.report.files import write_report_set
    from autoforge_learn.selection import Selection
    from autoforge_learn.store.layout import StoreLayout

    process = ChartProcess.start()
    assert process is not None
    process._process.kill()
    process._process.join()
    ws = SimpleNamespace(layout=StoreLayout(tmp_path / ".autoforge"))
    from datetime import UTC, datetime

    files = write_report_set(ws, data, now=datetime(2026, 1, 2, tzinfo=UTC),
                             selection=Selection(), charts=process)
    process.close()
    pngs = sorted(p.name for p in (files.markdown.parent / "assets").glob("*.png"))
    assert pngs == ["training_2026-01-02_calibration.png", "training_2026-01-02_strategies.png",
                    "training_2026-01-02_trends.png"]
    assert "assets/training_2026-01-02_trends.png" in files.markdown.read_text()


def test_charts_asked_of_the_chart_process_in_two_parts_are_those_drawn_here(data, tmp_path):
    """As train does: the trend panels asked for early, the rest with the report."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from autoforge_learn.report.chartproc import ChartProcess
    from autoforge_learn.report.charts import render_pngs
    from autoforge_learn.report.files import report_stem, write_report_set
    from autoforge_learn.selection import Selection
    from autoforge_learn.store.layout import StoreLayout

    now, selection = datetime(2026, 1, 2, tzinfo=UTC), Selection.build(last_projects=5)
    ws = SimpleNamespace(layout=StoreLayout(tmp_path / ".autoforge"))
    stem = report_stem(now, selection)
    process = ChartProcess.start()
    assert process is not None
    with process:
        assert process.submit(data, ws.layout.reports / "assets", stem=stem, only=["trends"])
        assert process.requested == {"trends"}
        files = write_report_set(ws, data, now=now, selection=selection, charts=process)
        assert process.requested == {"trends", "calibration", "strategies"}
    here = render_pngs(data, tmp_path / "here", stem=stem)
    drawn = {p.name: p.read_bytes() for p in (files.markdown.parent / "assets").glob("*.png")}
    assert drawn == {p.name: p.read_bytes() for p in here.values()}
    assert len(drawn) == 3
