"""Counts in words for messages and reports."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 project``, ``2 projects``, ``3 discoveries`` (with ``plural_form``)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
