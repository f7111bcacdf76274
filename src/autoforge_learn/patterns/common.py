"""Helpers shared by the detectors: examples, counts of texts, severity, rounding."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import Example, Severity, TextCount

if TYPE_CHECKING:
    from autoforge_learn.settings import PatternSettings

MAX_EXAMPLES = 5
MAX_TEXTS = 5


def examples(frame: Any, text_column: str | None, *, limit: int = MAX_EXAMPLES) -> list[Example]:
    """Up to ``limit`` real events of ``frame`` (latest first) with their text."""
    if frame is None or len(frame) == 0:
        return []
    # order by the two keys alone, then take the few rows: sorting every column of a
    # large frame cost most of the time of the detectors that cite examples
    keys = frame[["ts", "event_id"]].reset_index(drop=True)
    order = keys.sort_values(["ts", "event_id"], ascending=False, kind="stable").index[:limit]
    # the three columns alone: taking every column of the rows cost more than the sort
    ids = frame["event_id"].iloc[order].tolist()
    projects = frame["project_id"].iloc[order].tolist()
    texts = frame[text_column].iloc[order].tolist() if text_column else [None] * len(ids)
    return [
        Example(
            event_id=str(event_id), project_id=str(project),
            text=None if text is None or _is_nan(text) else str(text),
        )
        for event_id, project, text in zip(ids, projects, texts, strict=True)
    ]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def top_texts(values: Iterable[Any], *, limit: int = MAX_TEXTS) -> list[TextCount]:
    """The most frequent texts with their counts (ties broken by text)."""
    if _is_text_column(values):  # counted by pandas, not one Python value at a time
        present: Any = values.dropna()  # type: ignore[attr-defined]
        counted = present[present != ""].value_counts(sort=False)
        counts: dict[str, int] = dict(zip(map(str, counted.index), map(int, counted), strict=True))
    else:
        if hasattr(values, "tolist"):  # a pandas/numpy column: Python values, not cells
            values = values.tolist()
        counts = Counter(str(v) for v in values if v is not None and not _is_nan(v) and v != "")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [TextCount(text=text, count=count) for text, count in ranked]


def _is_text_column(values: Any) -> bool:
    """Whether ``values`` is a pandas Series of strings (a string dtype)."""
    dtype = getattr(values, "dtype", None)
    return hasattr(values, "value_counts") and str(dtype) in ("string", "str")


def rate_severity(
    successes: int, n: int, threshold: float, *, above: bool = True, strict: bool = True
) -> Severity:
    """Severity of a rate against a threshold: ``high`` when the Wilson 95% interval lies
    wholly beyond it, ``medium`` when the point estimate crosses it, else ``low``.
    ``above=False`` looks for rates below the threshold."""
    from autoforge_learn.stats import wilson_interval

    if n <= 0:
        return Severity.INFO
    rate = successes / n
    low, high = wilson_interval(successes, n) or (0.0, 1.0)
    if above:
        crossed = rate > threshold if strict else rate >= threshold
        sure = low > threshold if strict else low >= threshold
    else:
        crossed = rate < threshold
        sure = high < threshold
    if sure:
        return Severity.HIGH
    if crossed:
        return Severity.MEDIUM
    return Severity.LOW


def r(value: Any, digits: int = 4) -> Any:
    """``value`` rounded for JSON (None and NaN become None)."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return round(value, digits)


def thin(n: int, settings: PatternSettings) -> bool:
    """Whether ``n`` observations are too few to trust (``patterns.min_sample``)."""
    return n < settings.min_sample
