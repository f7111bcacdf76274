"""Print precision and recall per problem type: ``python -m tests.patterns.measure N SEED...``
(simulates N projects per seed into a temporary directory)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from autoforge_learn.dataset import load_dataset
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.patterns.gates import gate_clusters
from autoforge_learn.sim import simulate
from autoforge_learn.workspace import Workspace
from tests.patterns.test_clustering import clustering_ari
from tests.patterns.truth import TYPES, score


def main(argv: list[str]) -> None:
    projects, seeds = int(argv[0]), [int(s) for s in argv[1:]] or [1, 2, 3]
    pooled = {t: [0, 0, 0, 0] for t in TYPES}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            root = Path(tmp) / f"s{seed}" / ".autoforge"
            simulate(root, projects=projects, seed=seed)
            start = time.perf_counter()
            with Workspace(root) as ws:
                data = load_dataset(ws)
                findings = detect_patterns(ws, data=data)
                seconds = time.perf_counter() - start
                result = score(root, findings, gate_clusters(data.gates, ws.settings.patterns))
            for kind, counts in result.items():
                for i, name in enumerate(("claims", "matched", "problems", "found")):
                    pooled[kind][i] += counts[name]
            print(f"seed {seed}: detect_patterns {seconds:.1f} s, clustering ARI "
                  f"{clustering_ari(root):.3f}")
    for kind, (c, m, p, f) in pooled.items():
        print(f"{kind:18s} precision {m}/{c} = {m / max(c, 1):.2f}   "
              f"recall {f}/{p} = {f / max(p, 1):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
