"""A simulator of multi-agent delivery projects whose hidden truth is known.

:func:`simulate` runs projects through the collector SDK on a simulated clock and
writes, next to the raw events, the latent parameters it drew them from, so that every
analysis can be checked against what really happened.

Example:
    >>> from autoforge_learn.sim import simulate
    >>> result = simulate(".autoforge", projects=200, seed=7)
    >>> result.gate_failure_rate  # doctest: +SKIP
    0.21
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.sim.effects import (
    DEFAULT_CHECKS_PER_GATE,
    DEFAULT_ICC,
    DEFAULT_TOKEN_SD,
    check_options,
)
from autoforge_learn.sim.engine import Engine, SimClock, seeded_collector
from autoforge_learn.sim.model import LatentModel, build_model
from autoforge_learn.sim.truth import (
    conflicting_prompt_files,
    rendered_templates,
    write_prompt_files,
    write_truth,
)
from autoforge_learn.store.layout import StoreLayout, find_root

__all__ = [
    "DEFAULT_CHECKS_PER_GATE",
    "DEFAULT_ICC",
    "DEFAULT_START",
    "DEFAULT_TOKEN_SD",
    "SimulationError",
    "SimulationResult",
    "simulate",
]

#: The default end of the simulated window (projects happen in the ~6 months before it).
DEFAULT_START = datetime(2025, 11, 1, tzinfo=UTC)


class SimulationError(AutoforgeError):
    """The simulation cannot run here (for example: the store already holds raw data)."""


@dataclass
class SimulationResult:
    """What one simulation wrote.

    Attributes:
        root: The ``.autoforge`` directory written to.
        seed: The seed.
        projects: Projects simulated.
        inject_problems: Whether problems were injected.
        events: Events recorded, in all.
        events_by_kind: Events recorded per kind.
        gate_checks: Gate checks recorded.
        gate_failures: Failing gate checks recorded.
        outcomes: Projects per ``project_success``.
        months: The ``YYYY-MM`` folders raw files landed in.
        truth_file: Path of ``simulation_truth.json``.
        truth_events_file: Path of ``simulation_truth_events.jsonl``.
        prompt_files: Paths of the prompt files written.
        problems: Ids of the injected problems.
        quality_scores: ``quality_score`` recorded per project id.
        icc: Intra-project correlation of gate check outcomes.
        checks_per_gate: Least and most artifacts a gate checks per stage run.
        token_sd: Between-project sd of log token use.
        elapsed_seconds: Wall-clock time the simulation took (not written anywhere).
    """

    root: Path
    seed: int
    projects: int
    inject_problems: bool
    events: int
    events_by_kind: dict[str, int]
    gate_checks: int
    gate_failures: int
    outcomes: dict[str, int]
    months: list[str]
    truth_file: Path
    truth_events_file: Path
    prompt_files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    quality_scores: dict[str, float] = field(default_factory=dict)
    icc: float = DEFAULT_ICC
    checks_per_gate: tuple[int, int] = DEFAULT_CHECKS_PER_GATE
    token_sd: float = DEFAULT_TOKEN_SD
    elapsed_seconds: float = 0.0

    @property
    def gate_failure_rate(self) -> float:
        """Share of gate checks that failed."""
        return self.gate_failures / self.gate_checks if self.gate_checks else 0.0

    @property
    def events_per_project(self) -> float:
        return self.events / self.projects if self.projects else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the per-project quality scores)."""
        return {
            "root": str(self.root),
            "seed": self.seed,
            "projects": self.projects,
            "inject_problems": self.inject_problems,
            "icc": self.icc,
            "checks_per_gate": list(self.checks_per_gate),
            "token_sd": self.token_sd,
            "events": self.events,
            "events_per_project": round(self.events_per_project, 2),
            "events_by_kind": self.events_by_kind,
            "gate_checks": self.gate_checks,
            "gate_failures": self.gate_failures,
            "gate_failure_rate": round(self.gate_failure_rate, 4),
            "outcomes": self.outcomes,
            "months": self.months,
            "truth_file": str(self.truth_file),
            "truth_events_file": str(self.truth_events_file),
            "prompt_files": [str(p) for p in self.prompt_files],
            "problems": self.problems,
            "elapsed_seconds": round(self.elapsed_seconds, 2),
        }


def simulate(
    root: Path | str | None,
    *,
    projects: int,
    seed: int,
    inject_problems: bool = True,
    start: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    icc: float = DEFAULT_ICC,
    checks_per_gate: tuple[int, int] = DEFAULT_CHECKS_PER_GATE,
    token_sd: float = DEFAULT_TOKEN_SD,
) -> SimulationResult:
    """Simulate ``projects`` projects and record their events under ``root``.

    Events go through :class:`~autoforge_learn.collect.collector.Collector` with a
    simulated clock and seeded event ids, so the same seed gives byte-identical raw
    files, prompt files and truth files. Projects start over the ~6 months before
    ``start``, so raw files land in several ``YYYY-MM`` folders.

    Checks of one project are correlated (per-project random effects, see
    :mod:`autoforge_learn.sim.effects`) and each gate checks several artifacts per stage
    run, so that an analysis that treats checks as independent finds differences that
    are not there; every world has known-null contrasts (twin prompt versions, twin
    auto-fix strategies) listed under ``null_contrasts`` in the truth file.

    Args:
        root: The ``.autoforge`` directory (None: found as the SDK finds it). Its raw
            data folder must not hold raw files yet.
        projects: Number of projects, at least 1.
        seed: The seed of every random draw.
        inject_problems: Inject the problems analyses should find (root causes, hotspots,
            a bad handoff, override hotspots, an overconfident role, token-inefficient
            prompt versions, a best and a worst auto-fix strategy). False: a healthy
            world with low failure rates and no hotspot.
        start: End of the simulated window, timezone-aware (default 2025-11-01 UTC).
        progress: Called with ``(done, total)`` after each project.
        icc: Intra-project correlation of gate check outcomes, 0 (checks independent
            given the latent model) to 0.9; default close to ChatDev's (0.17).
        checks_per_gate: Least and most artifacts a gate checks per stage run (each a
            gate check, re-checked on failure); ``(1, 1)``: one check per gate run.
        token_sd: Between-project sd of log token use (0: none).

    Returns:
        What was written, with counts.

    Raises:
        ValueError: If ``projects`` < 1, ``start`` is naive, or ``icc``,
            ``checks_per_gate`` or ``token_sd`` is out of range.
        SimulationError: If the store already holds raw files, or prompt files with
            other content.
    """
    start = _window_end(projects, start)
    checks_per_gate = (int(checks_per_gate[0]), int(checks_per_gate[1]))
    check_options(icc, checks_per_gate, token_sd)
    began = time.perf_counter()
    layout = _empty_store(root)
    clock = SimClock(start)
    collector = seeded_collector(layout.root, clock, f"autoforge-sim:{seed}:ids")
    model = build_model(seed, inject=inject_problems, start=start,
                        max_retries=collector.max_retries, icc=icc,
                        checks_per_gate=checks_per_gate, token_sd=token_sd)
    _check_prompt_files(layout, model)
    layout.ensure()
    with collector:
        stats = Engine(collector, clock, model, rendered_templates()).run(projects, progress)
    kinds = dict(sorted(collector.kinds.items()))
    prompt_paths = write_prompt_files(layout, model)
    truth, truth_events = write_truth(layout, model, projects=projects,
                                      truth_events=stats.truth_events,
                                      truth_labels=stats.truth_labels,
                                      truth_projects=stats.truth_projects)
    return SimulationResult(
        root=layout.root, seed=seed, projects=projects, inject_problems=inject_problems,
        events=sum(kinds.values()), events_by_kind=kinds, gate_checks=stats.gate_checks,
        gate_failures=stats.gate_failures, outcomes=dict(sorted(stats.outcomes.items())),
        months=sorted(collector.months), truth_file=truth, truth_events_file=truth_events,
        prompt_files=prompt_paths, problems=[str(p["id"]) for p in model.problems],
        quality_scores=stats.quality, icc=icc, checks_per_gate=checks_per_gate,
        token_sd=token_sd, elapsed_seconds=time.perf_counter() - began,
    )


def _empty_store(root: Path | str | None) -> StoreLayout:
    """The store to simulate into; its raw data folder must hold no raw files yet.

    Raises:
        SimulationError: If it does.
    """
    layout = StoreLayout(find_root(root))
    if layout.raw_files():
        raise SimulationError(
            f"{layout.raw} already holds raw files; simulate into an empty store")
    return layout


def _check_prompt_files(layout: StoreLayout, model: LatentModel) -> None:
    """Refuse to overwrite prompt files the simulation would write with other content.

    Raises:
        SimulationError: If one exists with other content.
    """
    conflicts = conflicting_prompt_files(layout, model)
    if conflicts:
        names = ", ".join(str(p) for p in conflicts)
        raise SimulationError(f"prompt files already exist with other content: {names}")


def _window_end(projects: int, start: datetime | None) -> datetime:
    """The simulated window's end in UTC (default :data:`DEFAULT_START`).

    Raises:
        ValueError: If ``projects`` < 1 or ``start`` is naive.
    """
    if projects < 1:
        raise ValueError(f"projects must be at least 1, got {projects}")
    start = start or DEFAULT_START
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return start.astimezone(UTC)
