"""The report's "How to read this report" section (the same in Markdown and HTML)."""

from __future__ import annotations

from autoforge_learn.report.data import ReportData
from autoforge_learn.report.document import Block, Code, Paragraph, Strong, spans


def how_to_read(data: ReportData, *, all_findings: str) -> list[Block]:
    """The closing section: where the numbers come from and how findings are ranked."""
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
                f"under {all_findings}; where known they give the smallest effect their "
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
