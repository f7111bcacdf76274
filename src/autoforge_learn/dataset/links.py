"""Which output (stage execution) a gate check, escalation or feedback is about.

The one linking rule, used by the detectors' stage runs and by manual review:

* The candidates of an event are the outputs of the same project whose stage and agent
  role equal the event's (a field the event lacks is not compared; an event with
  neither a stage nor a role links to nothing).
* An output's end is its ``timestamp_end``, else its timestamp.
* A gate check or an escalation belongs to the output *during* it: the first
  candidate (by end, then event id) that ended at or after the event; else the last
  candidate.
* Downstream feedback is about the output *before* it: the last candidate that ended
  at or before the event; else the first candidate.
"""

from __future__ import annotations

from typing import Any, Literal

Rule = Literal["during", "before"]

#: Columns of the events frame and of the outputs frame the rule reads.
EVENT_COLUMNS = ("project_id", "stage", "agent_role", "ts")
OUTPUT_COLUMNS = ("project_id", "stage", "agent_role", "end", "event_id")


def link_events(events: Any, outputs: Any, rule: Rule) -> Any:
    """The ``event_id`` of the output each event is linked to (None when none).

    Args:
        events: A DataFrame with ``project_id``, ``stage``, ``agent_role`` and ``ts``.
        outputs: A DataFrame with ``project_id``, ``stage``, ``agent_role``, ``end``
            and ``event_id`` (one row per stage execution).
        rule: ``during`` (gate checks, escalations) or ``before`` (feedback).

    Returns:
        A Series aligned with ``events``' index.
    """
    import pandas as pd

    linked = pd.Series([None] * len(events), index=events.index, dtype=object)
    if not len(events) or not len(outputs):
        return linked
    right = outputs[list(OUTPUT_COLUMNS)].rename(columns={"event_id": "output_id"})
    right = right.sort_values(["end", "output_id"], kind="stable")
    has_stage = events["stage"].notna()
    has_role = events["agent_role"].notna()
    for keys, rows in (
        (["project_id", "stage", "agent_role"], has_stage & has_role),
        (["project_id", "stage"], has_stage & ~has_role),
        (["project_id", "agent_role"], ~has_stage & has_role),
    ):
        if rows.any():
            linked[rows] = _link(events[rows], right, keys, rule)
    return linked


def _link(events: Any, outputs: Any, keys: list[str], rule: Rule) -> Any:
    """Link events that all have ``keys`` to candidates matching on them."""
    import pandas as pd

    candidates = outputs.dropna(subset=keys)
    left = events[[*keys, "ts"]].copy()
    left["row_"] = range(len(left))
    left = left.sort_values("ts", kind="stable")
    first, fallback = ("forward", "backward") if rule == "during" else ("backward", "forward")
    found = _asof(left, candidates, keys, first)
    missing = found["output_id"].isna()
    if missing.any():
        again = _asof(left[missing.to_numpy()], candidates, keys, fallback, exact=False)
        found.loc[missing.to_numpy(), "output_id"] = again["output_id"].to_numpy()
    ordered = found.sort_values("row_")["output_id"]
    return pd.Series(ordered.to_numpy(dtype=object), index=events.index).where(
        ordered.notna().to_numpy(), None
    )


def _asof(left: Any, right: Any, keys: list[str], direction: str, *, exact: bool = True) -> Any:
    """``merge_asof`` of events on output ends; ``exact=False`` ignores the times (a
    fallback takes the first or last candidate whatever its end)."""
    import pandas as pd

    if exact:
        return pd.merge_asof(
            left,
            right[[*keys, "end", "output_id"]],
            left_on="ts",
            right_on="end",
            by=keys,
            direction=direction,
        )
    pick = right.groupby(keys, sort=False, dropna=True)
    chosen = pick.tail(1) if direction == "backward" else pick.head(1)
    merged = left.merge(chosen[[*keys, "output_id"]], on=keys, how="left")
    merged.index = left.index
    return merged
