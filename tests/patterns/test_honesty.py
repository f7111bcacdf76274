"""No claims on noise: A/A splits and label permutations of the real ChatDev projects
(the targets of the honest-findings work: at most 5% of A/A runs with any claim or loop
about the null contrast; at most one high/medium finding or loop per permutation run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autoforge_learn.dataset import Dataset, load_dataset
from autoforge_learn.importers.chatdev import import_chatdev
from autoforge_learn.workspace import Workspace
from tests.conftest import chatdev_logs
from tests.patterns.honesty import aa_run, permutation_run

pytestmark = pytest.mark.slow
RUNS = 20


@pytest.fixture(scope="module")
def chatdev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Dataset]]:
    root: Path = tmp_path_factory.mktemp("chatdev") / ".autoforge"
    import_chatdev([chatdev_logs()], root=root)
    with Workspace(root) as ws:
        yield ws, load_dataset(ws)


def test_aa_halves_of_chatdev_claim_nothing(chatdev: tuple[Workspace, Dataset]) -> None:
    ws, data = chatdev
    assert len(data.projects) >= 30
    rng = np.random.default_rng(11)
    runs = [aa_run(ws, data, rng) for _ in range(RUNS)]
    with_claims = sum(1 for claims, fired in runs if claims or fired)
    assert with_claims / RUNS <= 0.05, runs


def test_permuted_version_labels_give_at_most_one_claim_per_run(
    chatdev: tuple[Workspace, Dataset],
) -> None:
    ws, data = chatdev
    rng = np.random.default_rng(12)
    counts = [permutation_run(ws, data, rng) for _ in range(RUNS)]
    assert sum(counts) / RUNS <= 1.0, counts
