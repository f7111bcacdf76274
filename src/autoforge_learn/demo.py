"""``autoforge demo``: simulate a small history of projects and show what was recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.store.overview import StoreOverview, store_overview

if TYPE_CHECKING:
    from autoforge_learn.train import TrainResult

DEMO_PROJECTS = 50
DEMO_SEED = 7


class DemoError(AutoforgeError):
    """The demo cannot run where it was asked to (its store holds other data)."""


@dataclass
class DemoResult:
    """What the demo did and what the store now holds.

    Attributes:
        root: The ``.autoforge`` directory the demo wrote to.
        simulated: False when the same demo data was already there and was reused.
        overview: Counts over the store.
        seconds: Time the simulation took (0 when reused).
        training: What ``autoforge train`` produced (None when skipped).
    """

    root: Path
    simulated: bool
    overview: StoreOverview
    seconds: float
    training: TrainResult | None = None

    def to_dict(self) -> dict[str, Any]:
        layout = StoreLayout(self.root)
        return {
            "simulated": self.simulated,
            "seconds": round(self.seconds, 3),
            **self.overview.to_dict(),
            "prompts": str(layout.prompts),
            "truth": str(layout.training_data / "simulation_truth.json"),
            "training": self.training.to_dict() if self.training else None,
        }


def _existing_demo(layout: StoreLayout, *, projects: int, seed: int) -> bool:
    """True when the store holds exactly a previous demo's data with these settings."""
    truth = layout.training_data / "simulation_truth.json"
    if not layout.raw_files():
        return False
    if truth.exists():
        meta = orjson.loads(truth.read_bytes())
        if meta.get("seed") == seed and meta.get("projects") == projects:
            return True
    raise DemoError(
        f"{layout.raw} already holds training data that is not this demo's; run the demo "
        "in an empty directory (or pass --root to a new place), so nothing of yours is mixed in"
    )


def run_demo(
    root: Path,
    *,
    projects: int = DEMO_PROJECTS,
    seed: int = DEMO_SEED,
    progress: Callable[[int, int], None] | None = None,
    train: bool = True,
    train_progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Simulate ``projects`` projects into ``root`` through the SDK, summarise the store,
    then run the learning loop on it (``autoforge train``) unless ``train`` is False.

    Running it again with the same settings reuses the data instead of adding a second
    copy; a store that holds other data is refused rather than mixed with demo data.

    Raises:
        DemoError: If ``root`` already holds training data other than this demo's.
    """
    import time

    from autoforge_learn.sim import simulate

    layout = StoreLayout(root)
    reused = _existing_demo(layout, projects=projects, seed=seed)
    seconds = 0.0
    if not reused:
        start = time.perf_counter()
        simulate(layout.root, projects=projects, seed=seed, progress=progress)
        seconds = time.perf_counter() - start
    training = None
    if train:
        from autoforge_learn.train import train as run_train
        from autoforge_learn.workspace import Workspace

        with Workspace(layout.root) as ws:
            training = run_train(ws, progress=train_progress)
    return DemoResult(
        root=layout.root,
        simulated=not reused,
        overview=store_overview(layout.root),
        seconds=seconds,
        training=training,
    )
