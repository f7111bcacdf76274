"""The figures a ChatDev log prints (counts, costs, the rows of its Markdown tables),
read as numbers the importer can trust: ``-1`` (not recorded) is None, and a number too
large to be a real count or cost is left out with a problem naming it."""

from __future__ import annotations

import math
import re

_TABLE_ROW = re.compile(r"^\| \*\*(\w+)\*\* \| (.*?)(?: \|)?\s*$")


def _known(value: float | None) -> float | None:
    return None if value is None or value < 0 else value


#: Beyond this a number in a log is no real count or cost (and sums of it would not fit
#: the 64-bit integers of JSON readers and the index): it is left out as unusable.
MAX_NUMBER = 2**53


def _shown(raw: str) -> str:
    return raw if len(raw) <= 24 else f"{raw[:12]}...({len(raw)} characters)"


def number(text: str, what: str, problems: list[str]) -> int | None:
    """The integer the log states, or None (and a problem) when too large to be real."""
    # int() of over 4,300 digits raises; over 17 digits is too large anyway
    value = int(text) if len(text.lstrip("-")) <= 17 else None
    if value is None or abs(value) > MAX_NUMBER:
        problems.append(f"{what} = {_shown(text)} is not a usable number: left out")
        return None
    return value


def int_or_none(text: str, what: str, problems: list[str]) -> int | None:
    """A count the log states: None when unknown (-1) or unusable (too large)."""
    value = number(text, what, problems)
    return None if value is None or value < 0 else value


def read_info(
    text: str, pattern: re.Pattern[str], problems: list[str]
) -> dict[str, float | None]:
    """The ``key = value`` figures ``pattern`` finds in ``text`` (a run's post or
    software info): None where unknown or unusable."""
    out: dict[str, float | None] = {}
    for key, raw in pattern.findall(text):
        try:
            value = float(raw)
        except ValueError:  # "1.2.3" matches the pattern
            value = math.inf
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            problems.append(f"{key} = {_shown(raw)} is not a usable number: left out")
            value = -1.0
        out[key] = _known(value)
    return out


def table_rows(body: str) -> dict[str, str]:
    """The ``| **key** | value |`` rows of a record's Markdown table (the first of a
    repeated key)."""
    rows: dict[str, str] = {}
    for line in body.splitlines():
        match = _TABLE_ROW.match(line)
        if match:
            rows.setdefault(match[1], match[2].strip())
    return rows


def model_name(text: str | None) -> str | None:
    """The model a table names (``ModelType.GPT_4`` -> ``GPT_4``), None when none."""
    if not text or text == "None":
        return None
    return text.removeprefix("ModelType.").strip() or None
