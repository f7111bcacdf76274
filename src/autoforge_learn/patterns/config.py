"""Thresholds of the pattern detectors and feedback loops (section ``patterns:`` of
``.autoforge/config.yaml``). The defaults are the spec's values (sections 4.1 and 5.1);
a config file overrides any of them, e.g.::

    patterns:
      retry_hotspot: {threshold: 1.5}
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Below this many observations a finding is marked thin_evidence.
    "min_sample": 20,
    "gate_failure_root_cause": {
        "gate_failure_rate": 0.10,  # spec: gate_failure_rate_per_gate > 10%
        "top_n": 3,  # spec: top 3 failure reasons per gate
        # Severity of a cause (see patterns/gates.py): its first-check failure rate in
        # the most affected prompt version or platform against cause_rate (high: Wilson
        # lower bound above it), and whether the cause is concentrated there
        # (one-sided z-test vs the rest, Bonferroni-corrected).
        "cause_rate": 0.08,
        "min_failures": 3,
        "concentration_alpha": 0.05,  # concentrated and above cause_rate / 2: medium
        "segment_alpha": 0.5,
        "concentration_ratio": 1.75,  # medium also needs segment rate >= 1.75 x the rest
        "template_similarity": 0.5,
        "merge_distance": 0.75,
        "use_retry_links": True,  # consecutive failing checks link their reasons
        "min_links": 2,
    },
    "retry_hotspot": {"threshold": 1.0},  # spec: avg_retries > 1.0
    "handoff": {"rejection_rate": 0.25},
    "human_override": {"threshold": 0.5},  # spec: overridden >= 50%
    "token_efficiency": {"excess": 0.20, "alpha": 0.01},  # spec: > 20% more tokens
    "recipe_effectiveness": {"min_projects": 10},  # spec: after every 10 projects
    "confidence_calibration": {"gap_points": 10.0, "ece": 0.08, "n_bins": 5},
    "auto_fix_strategy": {"min_attempts": 5, "prior_strength": 4.0},
    "loops": {
        "same_cause_min": 3,  # loop 1: same root cause 3+ times
        "override_rate": 0.5,  # loop 2
        "min_rejections": 1,  # loop 3: any rejection
        "quality_history": 10,  # loop 4: previous N projects
        "quality_drop": 0.10,  # loop 4: drop > 10%
        "token_increase": 0.20,  # loop 5: +20% vs previous version
        "recent_projects": 20,  # loop 6: recent window
        "alpha": 0.05,  # loop 6: significance
    },
}


def pattern_config(
    root: Path | str | None = None, override: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The detectors' thresholds: :data:`DEFAULTS`, under the ``patterns:`` section of
    ``<root>/config.yaml``, under ``override``."""
    from autoforge_learn.store.config import load_config

    config = copy.deepcopy(DEFAULTS)
    if root is not None:
        path = Path(root) / "config.yaml"
        section = load_config(path).get("patterns") or {}
        if isinstance(section, dict):
            config = _merge(config, section)
    if override:
        config = _merge(config, override)
    return config


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
