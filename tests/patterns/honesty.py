"""Measuring whether the detectors claim differences that are not there.

Both measures work on a dataset loaded once, relabelled in memory, so that hundreds of
runs cost only the detectors:

* **A/A**: the projects are split at random into two halves that get two "prompt
  versions" of one role; nothing differs between them, so any discovery or fired loop
  about those two versions is a false positive.
* **Label permutation**: each role's real prompt-version labels are shuffled between
  projects (group sizes kept): the data keep their shape, the labels mean nothing.

``python -m tests.patterns.honesty ROOT RUNS`` prints both rates for a store.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import numpy as np

from autoforge_learn.dataset import Dataset
from autoforge_learn.findings import Finding, Status
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.patterns.loops import LoopAction, evaluate_loops
from autoforge_learn.workspace import Workspace

FRAMES = ("gates", "stages", "approvals")


def relabel(data: Dataset, role: str, versions: dict[str, str]) -> Dataset:
    """``data`` with the prompt version of ``role``'s events set per project."""
    out: dict[str, Any] = {}
    for name in FRAMES:
        frame = getattr(data, name).copy()
        mine = (frame["agent_role"] == role) & frame["project_id"].isin(versions)
        frame.loc[mine, "prompt_version"] = frame.loc[mine, "project_id"].map(versions)
        out[name] = frame
    return Dataset(
        projects=data.projects, feedback=data.feedback, escalations=data.escalations,
        selection=data.selection, **out,
    )


def busiest_role(data: Dataset) -> str:
    """The role with the most stage runs (the one an A/A split relabels)."""
    return str(data.stages["agent_role"].value_counts().index[0])


def about(finding: Finding, versions: set[str]) -> bool:
    """Whether a finding claims something about the given versions."""
    if finding.prompt_version in versions or finding.key.get("prompt_version") in versions:
        return True
    ev = finding.evidence
    segment = getattr(ev, "segment", None)
    return bool(segment is not None and segment.by == "prompt_version"
                and segment.value in versions)


def aa_run(ws: Workspace, data: Dataset, rng: np.random.Generator) -> tuple[int, int]:
    """One A/A split: (discoveries about the two fake versions, loops fired about them)."""
    role = busiest_role(data)
    projects = sorted(data.stages.loc[data.stages["agent_role"] == role, "project_id"].unique())
    order = rng.permutation(len(projects))
    half = len(projects) // 2
    fake = {f"{role}.v90.0", f"{role}.v90.1"}
    versions = {
        str(projects[i]): f"{role}.v90.{0 if rank < half else 1}" for rank, i in enumerate(order)
    }
    relabelled = relabel(data, role, versions)
    findings = detect_patterns(ws, data=relabelled)
    loops = evaluate_loops(ws, findings, data=relabelled)
    claims = sum(1 for f in findings if f.status == Status.DISCOVERY and about(f, fake))
    fired = sum(1 for a in loops if _loop_about(a, fake))
    return claims, fired


def _loop_about(action: LoopAction, versions: set[str]) -> bool:
    ev = action.evidence
    return ev.get("prompt_version") in versions or ev.get("previous_version") in versions or any(
        v in " ".join(action.finding_ids) for v in versions)


def permutation_run(ws: Workspace, data: Dataset, rng: np.random.Generator) -> int:
    """One permutation of every role's version labels: high/medium findings plus loops
    fired that involve a prompt version."""
    relabelled = data
    for role in sorted(data.stages["agent_role"].dropna().unique()):
        runs = data.stages[data.stages["agent_role"] == role]
        per_project = runs.groupby("project_id")["prompt_version"].first().dropna()
        if per_project.nunique() < 2:
            continue
        shuffled = rng.permutation(per_project.to_numpy())
        relabelled = relabel(relabelled, str(role), dict(
            zip(per_project.index.astype(str), map(str, shuffled), strict=True)))
    findings = detect_patterns(ws, data=relabelled)
    loops = evaluate_loops(ws, findings, data=relabelled)
    versioned = [f for f in findings if f.prompt_version or f.key.get("prompt_version")]
    claims = sum(1 for f in versioned if str(f.severity) in ("high", "medium"))
    return claims + sum(1 for a in loops if a.loop_id == "loop_5_token_efficiency")


def fresh(data: Dataset) -> Dataset:
    """A copy whose stage runs are computed again (relabelling changes them)."""
    return replace(data)


def main(argv: list[str]) -> None:
    from autoforge_learn.dataset import load_dataset

    root, runs = argv[0], int(argv[1])
    rng = np.random.default_rng(0)
    with Workspace(root) as ws:
        data = load_dataset(ws)
        aa = [aa_run(ws, data, rng) for _ in range(runs)]
        perm = [permutation_run(ws, data, rng) for _ in range(runs)]
    any_aa = sum(1 for claims, fired in aa if claims or fired) / runs
    print(f"A/A: runs with any claim or loop about the null contrast: {any_aa:.1%} of {runs}")
    print(f"permutation: high/medium versioned findings + loop 5 per run: "
          f"{sum(perm) / runs:.2f} (max {max(perm)})")


if __name__ == "__main__":
    main(sys.argv[1:])
