"""What ``autoforge export`` can write, kept apart from the exporters so that the CLI can
offer the choices without importing the schema, pyarrow or pandas."""

from __future__ import annotations

from enum import StrEnum


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class ExportWhat(StrEnum):
    """What to export: the raw events, or one derived table (labels, reviews, aggregates)."""

    raw = "raw"
    gate_labels = "gate_labels"
    decision_labels = "decision_labels"
    output_labels = "output_labels"
    prompt_labels = "prompt_labels"
    manual_reviews = "manual_reviews"
    role_performance = "role_performance"
    recipe_success = "recipe_success"
    prompt_versions = "prompt_versions"
    monthly_trends = "monthly_trends"
