"""Writing the ``.autoforge/config.yaml`` file (its settings are declared, with their
defaults and bounds, in :mod:`autoforge_learn.settings`)."""

from __future__ import annotations

import os
from pathlib import Path


def write_default_config(path: Path) -> bool:
    """Write a config file with every setting at its default, unless a file is already
    there (even a link that leads nowhere: writing would replace it). Returns True if
    written."""
    if os.path.lexists(path):
        return False
    from autoforge_learn.settings import default_config_text
    from autoforge_learn.store.atomic import replace_text

    replace_text(path, default_config_text())
    return True
