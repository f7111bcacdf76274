"""Statistics used by the analyses, on numpy/scipy only (references live in the tests)."""

from autoforge_learn.stats.calibration import CalibrationBin, CalibrationResult, calibration
from autoforge_learn.stats.intervals import mean_interval, wilson_interval

__all__ = [
    "CalibrationBin",
    "CalibrationResult",
    "calibration",
    "mean_interval",
    "wilson_interval",
]
