"""A/B experiments of prompt versions: design, sticky assignment, honest analysis with
the project as the unit, conclusion and rollout.

    from autoforge_learn.experiments import Experiment, arm_of
"""

from autoforge_learn.experiments.assign import arm_of, unit_draw
from autoforge_learn.experiments.model import Decision, Experiment, ExperimentError, Guardrail

__all__ = ["Decision", "Experiment", "ExperimentError", "Guardrail", "arm_of", "unit_draw"]
