"""The collector SDK: record events at each collection point of a pipeline."""

from autoforge_learn.collect.collector import Collector, new_event_id, survey_sampled, utc_now
from autoforge_learn.collect.redact import redact_secrets
from autoforge_learn.collect.runs import ProjectRun, StageRun

__all__ = [
    "Collector",
    "ProjectRun",
    "StageRun",
    "new_event_id",
    "redact_secrets",
    "survey_sampled",
    "utc_now",
]
