"""Clustering of free-text failure reasons: masking, normalization, and agreement with the
simulator's true causes (adjusted Rand index, sklearn)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autoforge_learn.patterns.clustering import cluster_reasons, mask, tokens


def clustering_ari(root: Path, data: Any | None = None) -> float:
    """ARI of the clusters (per gate, labels prefixed by gate) vs the true causes of every
    failing check in ``simulation_truth_events.jsonl``."""
    from sklearn.metrics import adjusted_rand_score

    from autoforge_learn.dataset import load_dataset
    from autoforge_learn.patterns.gates import gate_clusters
    from autoforge_learn.workspace import Workspace

    base = Path(root) / "ai" / "training_data"
    truth = {}
    for line in (base / "simulation_truth_events.jsonl").read_text().splitlines():
        row = json.loads(line)
        truth[row["event_id"]] = row["gate_id"] + ":" + row["cause_id"]
    with Workspace(root) as ws:
        data = load_dataset(ws) if data is None else data
        failed = gate_clusters(data.gates, ws.settings.patterns)
    failed = failed[failed["event_id"].isin(truth)]
    predicted = (failed["gate_id"] + ":" + failed["cluster"].astype(str)).tolist()
    return float(adjusted_rand_score([truth[e] for e in failed["event_id"]], predicted))


def test_mask_types_values() -> None:
    text = mask("Build failed: src/api/handlers.ts:379 type error; axios@0.27.2 CVE-2024-1234 "
                "on GET /v1/users/{id} for 'Billing' in docs/prd.md with 12 errors")
    for placeholder in ("<file>", "<pkg>", "<cve>", "<method>", "<endpoint>", "<name>",
                        "<path>", "<num>"):
        assert placeholder in text, (placeholder, text)
    assert "379" not in text and "Billing" not in text


def test_synonyms_bring_phrasings_together() -> None:
    assert "missing" in tokens("Endpoint lacks an auth requirement")
    assert "missing" in tokens("Config error: REDIS_URL undefined")
    assert tokens("Entity Order has no relation to User")[0] == "entity"


def test_clusters_group_reworded_reasons() -> None:
    reasons = [
        "Missing error code definitions for 3 endpoints",
        "Missing error code definitions for 7 endpoints",
        "Endpoint GET /users has no error responses defined",
        "Endpoint POST /orders has no error responses defined",
        "File does not exist at api/openapi.yaml",
        "File does not exist at contracts/openapi.yaml",
    ]
    labels, clusters = cluster_reasons(reasons)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[4] == labels[5]
    assert labels[0] != labels[4]
    assert sum(len(c.members) for c in clusters) == len(reasons)
    assert clusters[labels[4]].texts.most_common(1)[0][1] == 1


def test_deterministic() -> None:
    reasons = ["Coverage 59% below threshold 70%", "Line coverage 52% < required 80%",
               "Tests fail on Pixel 6", "Tests fail on iPad Air"] * 3
    assert cluster_reasons(reasons)[0] == cluster_reasons(list(reasons))[0]
