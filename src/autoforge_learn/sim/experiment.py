"""Simulated projects under a running experiment or rollout, with a known true effect.

:func:`simulate_experiment` continues a simulated store: it runs new projects, after
the store's simulated window, in the same latent world (the seed read back from the
truth file), and each project gets the experiment role's prompt version from
``Collector.assign`` (the assignment is recorded as in a real pipeline). A version the
world does not know (one made by ``prompts new`` or ``prompts apply``) behaves like
the version it was made from, its gate failure causes scaled by ``1 - effect``: 0.3
removes 30% of them, -0.5 adds 50% more (an injected regression). What was run and
the true effect are written to ``simulation_truth_experiment_<id>.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from autoforge_learn.sim.engine import Engine, SimClock, seeded_collector
from autoforge_learn.sim.model import LatentModel, build_model
from autoforge_learn.sim.prompts import PromptVersion
from autoforge_learn.sim.truth import TRUTH_FILE, rendered_templates
from autoforge_learn.store.layout import StoreLayout, find_root

if TYPE_CHECKING:
    from autoforge_learn.experiments.model import Experiment

#: Hours between two new projects' starts.
HOURS_BETWEEN_PROJECTS = 6.0


def simulate_experiment(
    root: Path | str | None,
    experiment_id: str,
    *,
    projects: int,
    effect: float = 0.0,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run ``projects`` new projects of a simulated store under an experiment or
    rollout (see the module docstring).

    Args:
        root: The ``.autoforge`` directory of a store made by ``autoforge simulate``.
        experiment_id: A running experiment or rollout of the store.
        projects: New projects, at least 1.
        effect: Share of the gate failure causes the treatment removes (negative: adds),
            applied to a treatment version the simulated world does not know.
        seed: Seed of the new projects' draws (default: the store's seed + the number of
            projects already in it, so runs in a row differ).
        progress: Called with ``(done, total)`` after each project.

    Returns:
        What was run: projects, their ids, events, the true effect, the truth file.

    Raises:
        SimulationError: If the store was not made by the simulator or the experiment is
            not running.
    """
    if projects < 1:
        raise ValueError(f"projects must be at least 1, got {projects}")
    if not -4 <= effect < 1:
        raise ValueError(f"effect must be in [-4, 1), got {effect}")
    layout = StoreLayout(find_root(root))
    truth, experiment = _running(layout, experiment_id)
    began = time.perf_counter()
    done_before = _projects_in(layout)
    window_end = datetime.fromisoformat(truth["window"]["end"])
    first = window_end + timedelta(hours=HOURS_BETWEEN_PROJECTS)
    clock = SimClock(first)
    run_seed = seed if seed is not None else int(truth["seed"]) + done_before
    collector = seeded_collector(layout.root, clock,
                                 f"autoforge-sim:{run_seed}:experiment-ids")
    model = replace(_world(truth, window_end, collector.max_retries), seed=run_seed)
    templates = rendered_templates()
    versions = _versions(layout, model, templates, experiment.control, experiment.treatment,
                         effect)
    engine = Engine(collector, clock, model, templates)
    engine.assign_at_start = lambda pj: {
        experiment.role: versions[collector.assign(experiment_id, pj.id)]}
    ran = []
    with collector:
        for i in range(projects):
            index = done_before + i
            created = first + timedelta(hours=HOURS_BETWEEN_PROJECTS * i)
            # The world as it stood at the end of its window: the latest recipes, etc.
            engine.project(index, created, frac=0.999)
            ran.append(f"sim-{index + 1:05d}")
            if progress is not None:
                progress(i + 1, projects)
    record = {
        "experiment": experiment_id, "role": experiment.role, "control": experiment.control,
        "treatment": experiment.treatment, "effect": effect,
        "effect_meaning": "share of the treatment's gate failure causes removed (negative: "
                          "added) relative to the version it was made from, when the "
                          "simulated world does not know it",
        "seed": run_seed, "projects": ran, "first_start": first.isoformat(),
        "events": sum(collector.kinds.values()),
        "elapsed_seconds": round(time.perf_counter() - began, 2),
    }
    path = layout.training_data / f"simulation_truth_experiment_{experiment_id}.json"
    previous = orjson.loads(path.read_bytes()) if path.exists() else {"runs": []}
    previous["runs"].append(record)
    path.write_bytes(orjson.dumps(previous, option=orjson.OPT_INDENT_2) + b"\n")
    return {**record, "truth_file": str(path)}


def _running(layout: StoreLayout, experiment_id: str) -> tuple[dict[str, Any], Experiment]:
    """The store's truth file and the running experiment or rollout ``experiment_id``.

    Raises:
        SimulationError: If the store was not made by the simulator or the experiment is
            not running.
    """
    from autoforge_learn.experiments.store import load_experiment
    from autoforge_learn.sim import SimulationError

    truth_path = layout.training_data / TRUTH_FILE
    if not truth_path.is_file():
        raise SimulationError(f"{truth_path} is missing: simulate --experiment continues a "
                              "store made by `autoforge simulate`")
    truth = orjson.loads(truth_path.read_bytes())
    experiment = load_experiment(layout.root, experiment_id)
    if experiment.status != "running":
        raise SimulationError(f"{experiment_id} is {experiment.status}: nothing to run under it")
    return truth, experiment


def _world(truth: dict[str, Any], window_end: datetime, max_retries: int) -> LatentModel:
    """The store's latent world, rebuilt from its truth file (its seed and options)."""
    effects = truth.get("project_effects", {})
    checks = effects.get("checks_per_gate", {})
    return build_model(
        int(truth["seed"]), inject=bool(truth["inject_problems"]), start=window_end,
        max_retries=max_retries, icc=float(effects.get("icc", 0.15)),
        checks_per_gate=(int(checks.get("min", 2)), int(checks.get("max", 5))),
        token_sd=float(effects.get("token_sd", 0.2)),
    )


def _projects_in(layout: StoreLayout) -> int:
    """Projects already in the store (the simulator numbers its ids from 1)."""
    from autoforge_learn.store.layout import RAW_FILE

    found = {m["project"] for f in layout.raw_files() if (m := RAW_FILE.match(f.name))}
    return len(found)


def _versions(layout: StoreLayout, model: LatentModel, templates: dict[str, str],
              control: str, treatment: str, effect: float) -> dict[str, PromptVersion]:
    """The two arms' versions as the engine runs them; a version the world does not
    know takes the parameters of the version it was made from (else the control's),
    the treatment's failure causes scaled by ``1 - effect``."""
    from autoforge_learn.registry import PromptRegistry

    registry = PromptRegistry(layout.root)
    out = {}
    for version_id, factor in ((control, 1.0), (treatment, 1.0 - effect)):
        if version_id in model.cause_rates and factor == 1.0:
            out[version_id] = _known(version_id)
            continue
        made = registry.get(version_id)
        like = made.parent if made.parent in model.cause_rates else control
        if like not in model.cause_rates:
            like = next(v for v in model.cause_rates if v.startswith(f"{made.role}."))
        model.cause_rates[version_id] = {c: r * factor
                                         for c, r in model.cause_rates[like].items()}
        model.token_factor[version_id] = model.token_factor[like]
        for table in (model.security_critical, model.security_major, model.security_missed,
                      model.coverage_mean):
            if like in table:
                table[version_id] = table[like]
        templates[version_id] = made.text()
        out[version_id] = PromptVersion(id=version_id, role=made.role, rollout=0.0,
                                        changes=tuple(made.changes), sections={})
    return out


def _known(version_id: str) -> PromptVersion:
    from autoforge_learn.sim.prompts import VERSIONS

    return next(v for v in VERSIONS if v.id == version_id)
