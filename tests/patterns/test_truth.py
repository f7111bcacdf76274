"""The detectors against the simulator's truth: precision and recall per problem type.

Matching rules are in :mod:`tests.patterns.truth`. Counts are pooled over the seeds of
``conftest.SEEDS`` (stores of ``conftest.PROJECTS`` = 200 projects, each simulated
once). The best and worst auto-fix strategies are pooled over 16 seeds
(``SEEDS`` + ``AUTOFIX_SEEDS``, 200 projects each): a strategy has only 3-26 attempts per
store, so one seed's ranking is noisy (measured 15/16 for best and for worst).

Measure by hand with: ``python -m tests.patterns.measure 200 1 2 3 4 5 6 7 8``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.dataset import load_dataset
from autoforge_learn.findings import Finding
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.patterns.gates import gate_clusters
from autoforge_learn.workspace import Workspace
from tests.patterns.conftest import (
    AUTOFIX_PROJECTS,
    AUTOFIX_SEEDS,
    HEALTHY_PROJECTS,
    PROJECTS,
    SEEDS,
)
from tests.patterns.test_clustering import clustering_ari
from tests.patterns.truth import TYPES, score

AUTOFIX = ("auto_fix_best", "auto_fix_worst")


def _run(tmp: Path, projects: int, seeds: tuple[int, ...], ari: bool) -> dict[str, Any]:
    from autoforge_learn.sim import simulate

    out: dict[str, Any] = {t: [0, 0, 0, 0] for t in TYPES}
    out["ari"] = []
    for seed in seeds:
        root = tmp / f"p{projects}s{seed}" / ".autoforge"
        simulate(root, projects=projects, seed=seed)
        ws = Workspace(root)
        data = load_dataset(ws)
        findings = detect_patterns(ws, data=data)
        # The JSON contract: plain JSON (stdlib), and it reads back to the same findings.
        text = json.dumps([f.to_dict() for f in findings])
        assert [Finding.from_dict(d) for d in json.loads(text)] == findings
        result = score(root, findings, gate_clusters(data.gates, ws.settings.patterns))
        ws.close()
        for kind, counts in result.items():
            for i, name in enumerate(("claims", "matched", "problems", "found")):
                out[kind][i] += counts[name]
        if ari:
            out["ari"].append(clustering_ari(root, data))
    return out


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per problem type: [claims, matched claims, problems, found problems], pooled over
    the seeds; ``"ari"``: the clustering ARI of each 200-project store."""
    tmp = tmp_path_factory.mktemp("truth")
    out = _run(tmp, PROJECTS, SEEDS, ari=True)
    more = _run(tmp, AUTOFIX_PROJECTS, AUTOFIX_SEEDS, ari=False)
    for kind in AUTOFIX:
        out[kind] = [a + b for a, b in zip(out[kind], more[kind], strict=True)]
    return out


@pytest.mark.parametrize("kind", TYPES)
def test_precision_and_recall(pooled: dict[str, Any], kind: str) -> None:
    claims, matched, problems, found = pooled[kind]
    assert problems > 0 and claims > 0
    assert matched / claims >= 0.9, (kind, matched, claims)
    assert found / problems >= 0.9, (kind, found, problems)


def test_clustering_agrees_with_truth(pooled: dict[str, Any]) -> None:
    # Adjusted Rand index of the reason clusters vs the true causes (all gates, labels
    # prefixed by gate): measured 0.71-0.85 on the 200-project stores (mean 0.80), and
    # 0.68-0.80 on seeds 9-16.
    assert min(pooled["ari"]) >= 0.6, pooled["ari"]
    assert sum(pooled["ari"]) / len(pooled["ari"]) >= 0.7, pooled["ari"]


def test_no_injected_problems_no_high_finding(tmp_path: Path) -> None:
    from autoforge_learn.sim import simulate

    root = tmp_path / ".autoforge"
    simulate(root, projects=HEALTHY_PROJECTS, seed=11, inject_problems=False)
    with Workspace(root) as ws:
        findings = detect_patterns(ws)
    assert [f.id for f in findings if str(f.severity) == "high"] == []
    # Nor any claim a person would act on, outside recipe comparisons (recipe versions
    # do differ in the simulator either way).
    claims = [f.id for f in findings if str(f.severity) == "medium"
              and f.pattern != "recipe_effectiveness"]
    assert claims == []
