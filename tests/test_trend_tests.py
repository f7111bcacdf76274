"""A report's month-to-month changes are tested over the months' projects: a real
change is called improved, chance is called chance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from autoforge_learn.collect.collector import Collector
from autoforge_learn.train import train


def _store(root, rng: np.random.Generator) -> None:
    for month, fail in ((8, 0.5), (10, 0.1)):
        for i in range(12):
            pid = f"m{month}-{i:02d}"
            t = datetime(2025, month, 1 + i, tzinfo=UTC)
            with Collector(root, clock=lambda t=t: t) as c:
                c.on_project_start(project_id=pid, recipe="web_app_v1")
                c.on_agent_stage_completion(project_id=pid, stage_id="architecture",
                                            agent_role="architect", succeeded=True,
                                            total_cost=float(rng.lognormal(-1, 0.2)),
                                            input_tokens=1000, output_tokens=500)
                for k in range(10):
                    c.on_gate_evaluation(
                        project_id=pid, gate_id="api_contract_present", stage="architecture",
                        agent_role="architect",
                        validation_result="fail" if rng.random() < fail else "pass",
                        timestamp=t + timedelta(minutes=k))
                c.on_project_completion(project_id=pid, project_success="shipped",
                                        quality_score=float(rng.normal(70, 5)))


def test_a_real_change_is_improved_and_chance_is_chance(af_root, open_ws) -> None:
    _store(af_root, np.random.default_rng(3))
    ws = open_ws(af_root, {"patterns": {"min_projects": 10}})
    result = train(ws, now=datetime(2025, 11, 1, tzinfo=UTC))
    text = result.report.read_text()
    line = next(x for x in text.splitlines() if x.startswith("- Gate failure rate"))
    assert "improved from" in line and "(12 and 12 projects, q " in line, line
    cost = next(x for x in text.splitlines() if x.startswith("- Cost per project"))
    assert "within chance" in cost, cost
