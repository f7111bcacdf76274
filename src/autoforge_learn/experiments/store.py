"""Experiment files: ``<root>/ai/experiments/<id>.yaml``, one per experiment.

Reads and writes go through one lock per store (two ``ab`` commands at once never lose
a change); a file is replaced whole (store.atomic), so readers see the old or the new.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autoforge_learn.experiments.model import Experiment, ExperimentError
from autoforge_learn.store.locks import exclusive
from autoforge_learn.store.yamlfile import read_yaml

DIRECTORY = ("ai", "experiments")


def experiments_dir(root: Path) -> Path:
    """``<root>/ai/experiments``."""
    return Path(root).joinpath(*DIRECTORY)


def experiment_path(root: Path, experiment_id: str) -> Path:
    """The file of one experiment (the id is checked before it becomes a file name).

    Raises:
        ExperimentError: If the id is not a safe file name.
    """
    from autoforge_learn.schema.events import check_safe_id

    try:
        check_safe_id(experiment_id, what="experiment id")
    except ValueError as exc:
        raise ExperimentError(str(exc)) from None
    return experiments_dir(root) / f"{experiment_id}.yaml"


@contextmanager
def experiments_lock(root: Path) -> Iterator[None]:
    """Serialise changes to experiment files between processes."""
    with exclusive(experiments_dir(root) / ".lock"):
        yield


def save_experiment(root: Path, experiment: Experiment) -> Path:
    """Write an experiment's file (replaced whole)."""
    from autoforge_learn.registry.role_files import dump_yaml
    from autoforge_learn.store.atomic import replace_text

    path = experiment_path(root, experiment.id)
    replace_text(path, dump_yaml(experiment.model_dump(mode="json", exclude_none=True)))
    return path


def load_experiment(root: Path, experiment_id: str) -> Experiment:
    """Read one experiment.

    Raises:
        ExperimentError: If there is none by that id, or its file is not valid.
    """
    path = experiment_path(root, experiment_id)
    if not path.is_file():
        known = ", ".join(e.id for e in list_experiments(root)) or "none yet"
        raise ExperimentError(f"no experiment {experiment_id!r} (known: {known})")
    return _read(path)


def _read(path: Path) -> Experiment:
    import yaml
    from pydantic import ValidationError

    try:
        data = read_yaml(path)
        return Experiment.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ExperimentError(f"{path}: cannot be read: {exc}") from None
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ExperimentError(f"{path}: not a valid experiment: {fields}") from None


def list_experiments(root: Path) -> list[Experiment]:
    """Every experiment of a store, oldest first."""
    directory = experiments_dir(root)
    if not directory.is_dir():
        return []
    found = [_read(p) for p in sorted(directory.glob("*.yaml"))]
    return sorted(found, key=lambda e: (e.started_at, e.id))
