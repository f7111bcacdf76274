"""The detection targets (issue 11) measured on simulated worlds.

* **Injected worlds** (``simulate(...)``): precision and recall of the detectors per
  problem type (:func:`tests.patterns.truth.score`), and precision of the fired feedback
  loops (:func:`tests.patterns.truth.score_loops`).
* **Healthy worlds** (``simulate(..., inject_problems=False)``): high/medium findings
  beyond the simulator's documented real differences (:func:`undocumented`), and loops
  fired.
* **Simulated A/A**: every world has known-null contrasts (twin prompt versions, twin
  auto-fix strategies, ``null_contrasts`` in the truth file); high/medium findings and
  fired loops attributable to them (:func:`tests.patterns.truth.null_claims`) are
  false positives.

``python -m tests.patterns.targets injected|healthy PROJECTS SEED...`` prints them
(each world is simulated into a temporary directory).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoforge_learn.findings import Finding, Pattern
from autoforge_learn.patterns.loops import LoopAction
from tests.patterns.truth import (
    LOOPS,
    TYPES,
    cause_labels,
    load_truth,
    null_claims,
    score,
    score_loops,
)

SERIOUS = ("high", "medium")


@dataclass
class World:
    """What the detectors and loops made of one simulated world, scored."""

    seed: int
    projects: int
    inject: bool
    scores: dict[str, dict[str, int]]
    loops: dict[str, dict[str, int]]
    undocumented: list[str]
    fired: list[str]
    null: list[str]
    seconds: float = 0.0
    ari: float | None = None


@dataclass
class Pooled:
    """Counts pooled over worlds."""

    worlds: list[World] = field(default_factory=list)

    def types(self) -> dict[str, list[int]]:
        """Per problem type: [claims, matched, problems, found]."""
        out = {t: [0, 0, 0, 0] for t in TYPES}
        for w in self.worlds:
            for kind, counts in w.scores.items():
                for i, name in enumerate(("claims", "matched", "problems", "found")):
                    out[kind][i] += counts[name]
        return out

    def loops(self) -> dict[str, list[int]]:
        """Per loop: [fired, matched]."""
        out = {loop: [0, 0] for loop in LOOPS}
        for w in self.worlds:
            for loop, counts in w.loops.items():
                out[loop][0] += counts["fired"]
                out[loop][1] += counts["matched"]
        return out

    def share(self, attribute: str) -> float:
        """Share of the worlds where ``attribute`` (a list) is not empty."""
        return sum(1 for w in self.worlds if getattr(w, attribute)) / max(1, len(self.worlds))

    def per_world(self, attribute: str) -> float:
        """Mean length of ``attribute`` per world."""
        return sum(len(getattr(w, attribute)) for w in self.worlds) / max(1, len(self.worlds))


def undocumented(truth: dict[str, Any], findings: list[Finding]) -> list[str]:
    """High/medium findings beyond the real differences every world has: recipe versions
    differ (``real_differences``), and so, a little, do auto-fix strategies (a strategy
    claimed better or worse than the others where its true rate is)."""
    rates = {s: v["success_rate"] for s, v in truth["auto_fix"]["strategies"].items()}
    out = []
    for f in findings:
        if str(f.severity) not in SERIOUS or f.pattern == Pattern.RECIPE_EFFECTIVENESS:
            continue
        if f.pattern == Pattern.AUTO_FIX_STRATEGY and f.hypothesis is not None:
            name = f.key["strategy"]
            others = [r for s, r in rates.items() if s != name]
            true_effect = rates.get(name, 0.0) - sum(others) / max(1, len(others))
            if true_effect * f.hypothesis.effect > 0:
                continue
        out.append(f.id)
    return out


def measure_world(
    root: Path, projects: int, seed: int, *, inject: bool, ari: bool = False
) -> World:
    """Simulate one world into ``root``, run the detectors and loops, score them."""
    from autoforge_learn.dataset import load_dataset
    from autoforge_learn.patterns.detect import detect_patterns
    from autoforge_learn.patterns.gates import gate_clusters
    from autoforge_learn.patterns.loops import evaluate_loops
    from autoforge_learn.sim import simulate
    from autoforge_learn.workspace import Workspace

    simulate(root, projects=projects, seed=seed, inject_problems=inject)
    start = time.perf_counter()
    with Workspace(root) as ws:
        data = load_dataset(ws)
        findings = detect_patterns(ws, data=data)
        # The JSON contract: plain JSON (stdlib), and it reads back to the same findings.
        text = json.dumps([f.to_dict() for f in findings])
        assert [Finding.from_dict(d) for d in json.loads(text)] == findings
        actions: list[LoopAction] = evaluate_loops(ws, findings, data=data)
        clustered = gate_clusters(data.gates, ws.settings.patterns)
        threshold = ws.settings.patterns.gate_failure_root_cause.cause_rate
    seconds = time.perf_counter() - start
    truth, _ = load_truth(root)
    causes = cause_labels(root, findings, clustered)
    world = World(
        seed=seed,
        projects=projects,
        inject=inject,
        scores=score(root, findings, clustered),
        loops=score_loops(root, findings, actions, clustered),
        undocumented=undocumented(truth, findings),
        fired=[a.loop_id for a in actions],
        null=null_claims(truth, findings, actions, causes, threshold),
        seconds=seconds,
    )
    if ari:
        from tests.patterns.test_clustering import clustering_ari

        world.ari = clustering_ari(root, data)
    return world


def measure(
    projects: int, seeds: list[int], *, inject: bool, tmp: Path | None = None, ari: bool = False
) -> Pooled:
    """Measure worlds of ``projects`` projects, one per seed."""
    pooled = Pooled()
    with tempfile.TemporaryDirectory(dir=tmp) as base:
        for seed in seeds:
            root = Path(base) / f"{'i' if inject else 'h'}{projects}s{seed}" / ".autoforge"
            pooled.worlds.append(measure_world(root, projects, seed, inject=inject, ari=ari))
    return pooled


def report(pooled: Pooled) -> str:
    """The measurements in words."""
    lines = []
    for w in pooled.worlds:
        seen = "" if w.inject else f"; undocumented high/medium {w.undocumented}"
        fired = ", ".join(f"{k} x{n}" for k, n in sorted(Counter(w.fired).items()))
        lines.append(
            f"seed {w.seed}: detectors {w.seconds:.1f} s{seen}; loops fired: "
            f"{fired or 'none'}; null contrast claims {w.null}"
        )
    if any(w.inject for w in pooled.worlds):
        for kind, (c, m, p, f) in pooled.types().items():
            lines.append(
                f"{kind:18s} precision {m}/{c} = {m / max(c, 1):.2f}   "
                f"recall {f}/{p} = {f / max(p, 1):.2f}"
            )
        fired = matched = 0
        for loop, (n, k) in pooled.loops().items():
            fired, matched = fired + n, matched + k
            lines.append(f"{loop:28s} precision {k}/{n} = {k / max(n, 1):.2f}")
        lines.append(
            f"{'loops, all':28s} precision {matched}/{fired} = {matched / max(fired, 1):.2f}"
        )
    else:
        lines.append(
            f"worlds without undocumented high/medium findings: "
            f"{1 - pooled.share('undocumented'):.0%} of {len(pooled.worlds)}"
        )
        lines.append(f"loops fired per world: {pooled.per_world('fired'):.2f}")
    lines.append(
        f"worlds with a claim or loop on a null contrast: {pooled.share('null'):.0%}"
        f" of {len(pooled.worlds)}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    kind, projects, seeds = argv[0], int(argv[1]), [int(s) for s in argv[2:]] or [1, 2, 3]
    print(report(measure(projects, seeds, inject=kind == "injected")))


if __name__ == "__main__":
    main(sys.argv[1:])
