from __future__ import annotations

from datetime import date

import pytest

from autoforge_learn.findings import CalibrationBucket, Example, Finding, Pattern, Severity
from autoforge_learn.patterns.loops import LoopAction
from autoforge_learn.report import (
    ReportData,
    TrendSeries,
    executive_summary,
    render_html,
    render_markdown,
    template_text,
)
from autoforge_learn.suggest import Suggestion


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


@pytest.fixture
def data() -> ReportData:
    findings = [
        _finding(
            Pattern.GATE_FAILURE_ROOT_CAUSE,
            {"gate_id": "api_contract_present", "cause": "missing error definitions"},
            "api_contract_present fails 31% for missing error definitions",
            Severity.HIGH,
            0.31,
            400,
            interval=(0.27, 0.36),
            impact=90.0,
            examples=[Example("e1", "P1", "Missing error code definitions for 4 endpoints")],
        ),
        _finding(
            Pattern.RETRY_HOTSPOT,
            {"agent_role": "qa"},
            "qa retries 1.4 per stage",
            Severity.MEDIUM,
            1.4,
            120,
            impact=40.0,
        ),
        _finding(
            Pattern.AUTO_FIX_STRATEGY,
            {"strategy": "architect_drafts_stub"},
            "architect_drafts_stub succeeds 90%",
            Severity.INFO,
            0.9,
            50,
            interval=(0.79, 0.96),
        ),
        _finding(
            Pattern.AUTO_FIX_STRATEGY,
            {"strategy": "engineer_refactors_existing"},
            "engineer_refactors_existing succeeds 20%",
            Severity.MEDIUM,
            0.2,
            4,
            interval=(0.04, 0.62),
            thin_evidence=True,
        ),
    ]
    suggestion = {
        "suggestion_id": "SUG-2025-10-001",
        "agent_role": "architect",
        "suggestion_type": "constraint_clarity",
        "confidence": 0.85,
        "evidence": [{"gate_failure_rate": 0.31}],
        "proposed_change": {
            "prompt_file": "ai/prompts/architect.yaml",
            "section": "API_contract_generation",
            "old_text": "a",
            "new_text": "b",
            "rationale": "Architect missed error responses.",
        },
        "expected_impact": {
            "gate_success_improvement": 0.3,
            "retry_reduction": 0.4,
            "token_efficiency": "neutral",
        },
        "implementation_effort": "low",
        "risk": "low",
    }
    return ReportData(
        title="Learning report 2025-10",
        generated_at=date(2025, 11, 1),
        scope="200 projects, 2025-05 to 2025-10",
        findings=findings,
        suggestions=[Suggestion.from_dict(suggestion)],
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
                [("2025-08", 0.25), ("2025-09", 0.18), ("2025-10", 0.12)],
            ),
            TrendSeries(
                "avg_retries",
                "Avg retries per task",
                "count",
                [("2025-08", 0.9), ("2025-09", None), ("2025-10", 1.1)],
            ),
        ],
        calibration={
            "engineer": [
                CalibrationBucket(lower=0.8, upper=1.0, mean_predicted=0.9, observed_rate=0.7,
                                  count=30, interval=None),
                CalibrationBucket(lower=0.6, upper=0.8, mean_predicted=0.7, observed_rate=0.6,
                                  count=20, interval=None),
            ]
        },
    )


def test_executive_summary_has_three_bullets_from_the_data(data):
    bullets = executive_summary(data)
    assert len(bullets) == 3
    assert "api_contract_present fails 31%" in bullets[0] and bullets[0].startswith("3 pattern")
    assert bullets[1] == "Gate failure rate improved from 25.0% to 12.0%."
    assert "autoforge prompts apply SUG-2025-10-001" in bullets[2]


def test_markdown_follows_the_template_with_charts(data, tmp_path):
    out = render_markdown(data, tmp_path / "reports" / "training_2025-11-01.md")
    text = out.markdown.read_text()
    for heading in (
        "## Executive summary",
        "## Key improvements identified",
        "## Suggested next actions",
        "## Metric trends",
    ):
        assert heading in text and heading in template_text()
    assert "$" + "title" not in text  # every placeholder was filled
    assert "Missing error code definitions for 4 endpoints" in text
    assert "**thin evidence**" in text
    assert "Avg retries per task worsened from 0.90 to 1.10" in text
    assert set(out.charts) == {"trends", "calibration", "strategies"}
    for name, png in out.charts.items():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"(assets/{png.name})" in text
    again = render_markdown(data, tmp_path / "again" / "training_2025-11-01.md")
    assert again.charts["trends"].read_bytes() == out.charts["trends"].read_bytes()


def test_html_is_standalone_with_interactive_charts(data, tmp_path):
    page = render_html(data, tmp_path / "r" / "training.html")
    text = page.read_text()
    assert "<script src='assets/plotly.min.js'></script>" in text
    assert (tmp_path / "r" / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert text.count("Plotly.newPlot") == 3
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "SUG-2025-10-001" in text and "sev-high" in text


def test_an_empty_period_still_renders(tmp_path):
    empty = ReportData(title="Empty", generated_at=date(2025, 1, 1), scope="0 projects")
    out = render_markdown(empty, tmp_path / "e.md")
    text = out.markdown.read_text()
    assert "No pattern crosses its threshold" in text
    assert "No prompt change is suggested" in text and out.charts == {}
    render_html(empty, tmp_path / "e.html")
