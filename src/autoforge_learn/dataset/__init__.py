"""The data access layer below labels and detectors: the selected events, as frames.

    from autoforge_learn.dataset import load_dataset, metric_values
    data = load_dataset(workspace, selection)
    data.gates, data.stages, data.runs, ...
    metric_values(workspace, "gate_pass_rate", by=["role"], selection=selection)

Nothing here decides what is a finding; it only reads the index under a selection.
"""

from __future__ import annotations

from autoforge_learn.dataset.fields import field
from autoforge_learn.dataset.frames import Dataset, load_dataset
from autoforge_learn.dataset.links import link_events
from autoforge_learn.dataset.metrics import metric_values
from autoforge_learn.dataset.runs import stage_runs

__all__ = ["Dataset", "field", "link_events", "load_dataset", "metric_values", "stage_runs"]
