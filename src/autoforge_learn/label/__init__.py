"""Automatic labeling of events (spec 3.1)."""

from autoforge_learn.label.rules import (
    agent_decision_label,
    gate_result_label,
    output_quality_label,
    prompt_effectiveness_label,
)

__all__ = [
    "agent_decision_label",
    "gate_result_label",
    "output_quality_label",
    "prompt_effectiveness_label",
]
