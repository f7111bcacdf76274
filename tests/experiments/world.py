"""Projects recorded through the SDK under a running experiment or rollout, with known
effects per prompt version: the world the lifecycle tests run in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from autoforge_learn.collect.collector import Collector
from autoforge_learn.registry import PromptRegistry

ROLE = "architect"
START = datetime(2025, 9, 1, tzinfo=UTC)


def make_versions(root: Path, count: int = 3) -> list[str]:
    """``architect.v1.0``, ``v1.1``... in the registry (v1.0 set as the default)."""
    registry = PromptRegistry(root)
    made = [
        registry.new_version(
            ROLE, sections={"role": f"Design the API, take {i}."}, changes=[f"take {i}"]
        ).id
        for i in range(count)
    ]
    registry.set_default(made[0], reason="the tests' baseline")
    return made


@dataclass
class Effects:
    """What each version does: its gate pass rate, quality and cost per project (the
    others' are the baseline's)."""

    pass_rate: dict[str, float] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)
    base_pass_rate: float = 0.75
    base_quality: float = 70.0
    base_cost: float = 0.40
    icc: float = 0.14
    checks: int = 20


def run_projects(
    root: Path,
    experiment_id: str,
    ids: list[str],
    effects: Effects,
    *,
    seed: int,
    start: datetime = START,
) -> dict[str, str]:
    """Run each project: assigned through ``Collector.assign``, then one stage, its gate
    checks (project-level rates with intra-project correlation ``icc``) and the outcome.
    Returns the version each project ran."""
    rng = np.random.default_rng(seed)
    ran = {}
    for i, pid in enumerate(ids):
        moment = start + timedelta(hours=6 * i)
        with Collector(root, clock=lambda m=moment: m) as c:
            version = c.assign(experiment_id, pid)
            ran[pid] = version
            c.on_project_start(project_id=pid, recipe="web_app_v1", client_domain="saas")
            rate = effects.pass_rate.get(version, effects.base_pass_rate)
            a = rate * (1 - effects.icc) / effects.icc
            b = (1 - rate) * (1 - effects.icc) / effects.icc
            own = rng.beta(a, b)
            c.on_agent_stage_completion(
                project_id=pid,
                stage_id="architecture",
                agent_role=ROLE,
                prompt_version=version,
                input_tokens=int(rng.integers(2000, 4000)),
                output_tokens=int(rng.integers(500, 1500)),
                succeeded=True,
                total_cost=float(
                    effects.cost.get(version, effects.base_cost) * rng.lognormal(0, 0.2)
                ),
                lines_of_code=int(rng.integers(100, 300)),
            )
            for _ in range(effects.checks):
                c.on_gate_evaluation(
                    project_id=pid,
                    gate_id="api_contract_present",
                    stage="architecture",
                    agent_role=ROLE,
                    prompt_version=version,
                    validation_result="pass" if rng.random() < own else "fail",
                )
            quality = effects.quality.get(version, effects.base_quality) + rng.normal(0, 8)
            c.on_project_completion(
                project_id=pid,
                project_success="shipped",
                quality_score=float(np.clip(quality, 0, 100)),
            )
    return ran
