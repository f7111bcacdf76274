"""Rows of pandas frames as plain Python values (what label files and exports hold)."""

from __future__ import annotations

from typing import Any


def to_python(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, NA) as None; numpy scalars as Python ones."""
    # the common plain values first: this runs once per cell of every labeled row
    if value is None or type(value) in (str, bool, int):
        return value
    if type(value) is float:
        return None if value != value else value
    try:
        import pandas as pd

        if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def column(frame: Any, name: str) -> list[Any]:
    """One column of a pandas frame as plain Python values (as :func:`records` gives
    them), without building a dict per row."""
    return [to_python(v) for v in frame[name].tolist()]


def records(frame: Any) -> list[dict[str, Any]]:
    return [{k: to_python(v) for k, v in row.items()} for row in frame.to_dict("records")]
