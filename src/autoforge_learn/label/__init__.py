"""Automatic labels of events by four fixed rules (gate results, decisions, outputs,
prompt versions).

Labels are an export, not an input of the detectors: the detectors measure the events
themselves (under the same selection), and the labels are written for people and other
tools (``autoforge label``, ``autoforge export --what gate_labels``, the files under
``labeled/``), always computed afresh from the index.

    from autoforge_learn.label.run import label_events, label_store
"""

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
