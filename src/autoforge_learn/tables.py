"""Results as pandas DataFrames, to keep working with in a notebook or a script.

* :func:`metric_frame`: one metric of the catalogue, grouped (what ``autoforge metrics
  show`` prints);
* :func:`findings_frame`: findings, one flat row each (what ``autoforge patterns``
  lists);
* :func:`label_frames`: the four label sets (what ``autoforge label`` writes).

Each frame holds the same values as the typed result it comes from, in documented
columns, and has those columns even when it has no rows. pandas is imported only when
one of these functions runs, so that ``import autoforge_learn`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from autoforge_learn.findings import FINDING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from autoforge_learn.findings import Finding
    from autoforge_learn.label.run import Labels
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

#: The columns of a metric frame after its group keys.
METRIC_COLUMNS = ("value", "numerator", "denominator")

#: The columns of each label set, in order (the fields of the files under ``labeled/``).
LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "gates": (
        "event_id", "project_id", "gate_id", "stage", "agent_role", "prompt_version",
        "validation_result", "retry_attempt", "max_retries", "auto_fix_success", "escalated",
        "human_resolved", "quality", "labeled_by", "rules",
    ),
    "decisions": (
        "event_id", "project_id", "decision_type", "agent_role", "prompt_version",
        "agent_recommendation", "human_decision", "alignment", "confidence", "labeled_by",
        "rules",
    ),
    "outputs": (
        "project_id", "test_coverage_percent", "security_clean", "perf_within_slo",
        "no_major_rework", "quality_score", "output", "labeled_by", "rules",
    ),
    "prompts": (
        "prompt_version", "agent_role", "checks", "passes", "success_rate", "retry_rate",
        "effectiveness", "labeled_by", "rules",
    ),
}


def metric_frame(
    ws: Workspace,
    metric: str,
    *,
    by: Sequence[str] = (),
    selection: Selection | None = None,
) -> pd.DataFrame:
    """One metric of the catalogue as a DataFrame: a row per group.

    Args:
        ws: The workspace.
        metric: A metric of the catalogue (``autoforge metrics list``).
        by: Group-by dimensions (``role``, ``recipe``, ``prompt_version``, ``month``...).
        selection: Which events (default: all).

    Returns:
        Columns: the ``by`` dimensions in order, then ``value``, ``numerator`` and
        ``denominator`` (the last two empty for metrics that are not a ratio or an
        average over projects): the rows of
        :func:`~autoforge_learn.dataset.metrics.metric_values`.

    Raises:
        UsageError: For an unknown metric or dimension.
    """
    import pandas as pd

    from autoforge_learn.dataset.metrics import metric_values

    rows = metric_values(ws, metric, by=tuple(by), selection=selection)
    columns = [*by, *METRIC_COLUMNS]
    return pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame, one row per finding, in the order given.

    Columns (:data:`~autoforge_learn.findings.FINDING_COLUMNS`): ``id``, ``pattern``,
    ``status``, ``severity``, ``title``, ``agent_role``, ``prompt_version``, ``metric``,
    ``value``, ``ci_low``, ``ci_high`` (the 95% interval), ``sample_size``,
    ``projects``, ``threshold``, ``baseline``, ``impact``, ``thin_evidence``, and the
    hypothesis' ``p_value``, ``q_value``, ``effect``, ``effect_low``, ``effect_high``
    (empty for context findings). The typed evidence stays on each
    :class:`~autoforge_learn.findings.Finding`.
    """
    import pandas as pd

    rows = [finding.to_record() for finding in findings]
    return pd.DataFrame([[row[c] for c in FINDING_COLUMNS] for row in rows],
                        columns=list(FINDING_COLUMNS))


def label_frames(
    ws: Workspace, selection: Selection | None = None, *, labels: Labels | None = None
) -> dict[str, pd.DataFrame]:
    """The four label sets as DataFrames: ``gates``, ``decisions``, ``outputs`` and
    ``prompts`` (columns: :data:`LABEL_COLUMNS`), computed afresh as ``autoforge label``
    computes them; nothing is written.

    Args:
        ws: The workspace.
        selection: Which events (default: all).
        labels: Labels already computed with
            :func:`~autoforge_learn.label.run.label_events` (saves computing them again).
    """
    import pandas as pd

    from autoforge_learn.label.run import label_events

    if labels is None:
        labels = label_events(ws, selection)
    frames = {}
    for name, columns in LABEL_COLUMNS.items():
        rows = labels.table(name)
        if isinstance(rows, pd.DataFrame):
            frame = rows.reset_index(drop=True)
        else:
            frame = pd.DataFrame([[row.get(c) for c in columns] for row in rows],
                                 columns=list(columns))
        frames[name] = frame[list(columns)]
    return frames
