"""The prompt registry under concurrent writers and hostile files: no changelog entry
lost, no alias bomb expanded, no FIFO read, no role name with a hidden newline."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from autoforge_learn.experiments.store import experiments_dir, load_experiment
from autoforge_learn.registry import PromptRegistry, RegistryError

ROLES = ("architect", "engineer", "qa", "security", "product", "ui_ux")
PER_ROLE = 10


def _make_versions(root: str, role: str) -> None:
    registry = PromptRegistry(Path(root))
    for i in range(PER_ROLE):
        registry.new_version(role, sections={"role": f"{role} take {i}"}, changes=[f"take {i}"])


def test_concurrent_new_versions_of_different_roles_keep_every_changelog_entry(
    af_root: Path,
) -> None:
    # Each role has its own lock; the changelog is shared by all: 60 entries must survive.
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_make_versions, args=(str(af_root), r)) for r in ROLES]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    text = PromptRegistry(af_root).changelog.read_text()
    assert text.count("\n## ") == len(ROLES) * PER_ROLE
    assert len(PromptRegistry(af_root).versions()) == len(ROLES) * PER_ROLE


def test_a_prompt_file_with_aliases_is_refused_not_expanded(af_root: Path) -> None:
    prompts = af_root / "ai" / "prompts"
    prompts.mkdir(parents=True)
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):  # 10^12 strings if expanded
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("role: qa\nversions: {}\nbomb: *l")
    (prompts / "qa.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(RegistryError, match="aliases"):
        PromptRegistry(af_root).versions("qa")


def test_a_fifo_in_place_of_a_prompt_or_experiment_file_is_refused(af_root: Path) -> None:
    prompts = af_root / "ai" / "prompts"
    prompts.mkdir(parents=True)
    os.mkfifo(prompts / "qa.yaml")  # reading it would block forever
    with pytest.raises(RegistryError, match="not a regular file"):
        PromptRegistry(af_root).versions("qa")
    experiments = experiments_dir(af_root)
    experiments.mkdir(parents=True, exist_ok=True)
    os.mkfifo(experiments / "stuck.yaml")
    with pytest.raises(Exception, match="not a regular file"):
        load_experiment(af_root, "stuck")


@pytest.mark.parametrize("role", ["qa\n", "qa\nx", "QA", "1qa", "qa.v1", "../qa", ""])
def test_role_names_that_would_make_odd_file_names_are_refused(af_root: Path, role: str) -> None:
    with pytest.raises(RegistryError, match="lower-case"):
        PromptRegistry(af_root).new_version(role, sections={"r": "x"}, changes=["x"])


def test_written_prompt_files_never_use_aliases(af_root: Path) -> None:
    # The same section text in two versions must be written twice, not as an alias the
    # reader would refuse.
    registry = PromptRegistry(af_root)
    shared = ["same change"]
    registry.new_version("qa", sections={"r": "x"}, changes=shared)
    registry.new_version("qa", sections={"r": "x"}, changes=shared)
    assert "*" not in (af_root / "ai" / "prompts" / "qa.yaml").read_text()
    assert len(registry.versions("qa")) == 2
