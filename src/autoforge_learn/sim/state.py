"""The state the simulator keeps while it runs: clock, per-project facts, counters."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from autoforge_learn.sim.catalog import Recipe
from autoforge_learn.sim.effects import ProjectEffects
from autoforge_learn.sim.prompts import PromptVersion


class SimClock:
    """A settable clock for the collector: simulated time, never the wall clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(milliseconds=max(1, int(seconds * 1000)))


def pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass
class Project:
    """What the engine tracks of one project while it runs."""

    index: int
    id: str
    rng: random.Random
    recipe: Recipe
    platform: str
    domain: str
    team_size: int
    autonomy: int
    frac: float  # position of its start in the simulated window, 0-1
    effects: ProjectEffects
    versions: dict[str, PromptVersion] = field(default_factory=dict)  # by role
    decisions: list[str] = field(default_factory=list)
    prev_role: str | None = None
    prev_troubled: bool = False
    severities: list[str] = field(default_factory=list)
    coverage: float | None = None
    scan: tuple[int, int] | None = None  # critical, major
    within_slo: bool | None = None
    security_passed: bool = False
    security_version: str = ""
    gate_failures: int = 0  # failing checks
    failed_gate_runs: int = 0  # gate runs (all artifacts of a stage run) with a failure
    escalations: int = 0
    overrides: int = 0


@dataclass
class Stats:
    """Counts the engine keeps for the result and the truth file."""

    gate_checks: int = 0
    gate_failures: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    truth_events: list[dict[str, str]] = field(default_factory=list)
    #: What each gate check, decision and project output really was (for label scoring).
    truth_labels: list[dict[str, str]] = field(default_factory=list)
    #: Each project's random effects (difficulty, token factor, per-gate draws).
    truth_projects: list[dict[str, object]] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict)

    def truth_label(self, label_type: str, key: str, label: str) -> None:
        """Note what a gate check, decision or output really was."""
        self.truth_labels.append({"type": label_type, "key": key, "label": label})
