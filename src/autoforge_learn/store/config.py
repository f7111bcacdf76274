"""The ``.autoforge/config.yaml`` file: defaults, reading and writing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

DEFAULT_CONFIG: dict[str, Any] = {
    "schema_version": "1.0",
    "collect": {
        # Spec 2.2: the post-project survey is asked of 80% of projects.
        "survey_sample_rate": 0.8,
        # Redact secrets in output_raw and prompt_template before they are written.
        "redact_secrets": False,
    },
    "gates": {
        # Retries a gate gets before it is escalated (spec 3.1's max_retries).
        "max_retries": 3,
    },
}

CONFIG_HEADER = """\
# AutoForge Learn configuration. Every key is optional; missing keys take the defaults
# shown here. See `autoforge --help`.
"""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: Path) -> dict[str, Any]:
    """Read a config file over the defaults; a missing file gives the defaults.

    Raises:
        ValueError: If the file is not a YAML mapping; the message names the file.
    """
    if not path.exists():
        return copy.deepcopy(DEFAULT_CONFIG)
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return _merge(DEFAULT_CONFIG, data)


def write_default_config(path: Path) -> bool:
    """Write the default config unless a file is already there. Returns True if written."""
    if path.exists():
        return False
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG_HEADER + yaml.safe_dump(DEFAULT_CONFIG, sort_keys=False))
    return True
