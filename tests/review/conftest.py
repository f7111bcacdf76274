"""Fixtures of the manual review tests: simulated stores and complete answers."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.sim import simulate

#: A complete set of answers, as ``KEY=VALUE`` flags would give them.
FULL_ANSWERS: dict[str, Any] = {
    "matches_requirements": "yes",
    "edge_cases": "partially",
    "completeness": "complete",
    "understandable_by_next_agent": "mostly",
    "assumptions_documented": "no",
    "would_pass_code_review": "minor_fixes",
    "obvious_improvements": "yes",
    "wasted_tokens": "no",
    "prompt_could_be_tighter": "yes",
    "overall_rating": 3,
    "comments": "Contract lacks error responses",
    "suggested_improvements": "Add 4xx/5xx responses to every endpoint",
    "learning_signal": "Agent skips error definitions; tighten prompt",
}


def answer_flags(answers: dict[str, Any] | None = None) -> list[str]:
    """``-a KEY=VALUE`` arguments for every answer."""
    out: list[str] = []
    for key, value in (answers or FULL_ANSWERS).items():
        out += ["-a", f"{key}={value}"]
    return out


def raw_events(root: Path) -> list[dict[str, Any]]:
    """Every raw event of a store as plain JSON (read without the library)."""
    events = []
    for path in sorted((root / "ai" / "training_data" / "raw").glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                events.append(json.loads(line))
    return events


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated store of 120 projects (read-only: copy it before writing)."""
    root = tmp_path_factory.mktemp("sim") / ".autoforge"
    simulate(root, projects=120, seed=5)
    return root


@pytest.fixture
def store(sim_store: Path, af_root: Path) -> Path:
    """A private copy of the simulated store at ``af_root`` (the working directory's)."""
    shutil.copytree(sim_store, af_root)
    return af_root
