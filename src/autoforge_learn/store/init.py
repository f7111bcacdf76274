"""Create the ``.autoforge`` layout and its config file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoforge_learn.store.config import write_default_config
from autoforge_learn.store.layout import StoreLayout


@dataclass(frozen=True)
class InitResult:
    root: Path
    config_path: Path
    config_written: bool


def init_store(root: Path) -> InitResult:
    """Create every directory of the layout under ``root`` and a default config file.

    Existing directories and an existing config file are left untouched.
    """
    layout = StoreLayout(root)
    layout.ensure()
    written = write_default_config(layout.config_file)
    return InitResult(root=layout.root, config_path=layout.config_file, config_written=written)
