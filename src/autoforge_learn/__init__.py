"""AutoForge Learn: make multi-agent LLM delivery pipelines learn from every run.

    from autoforge_learn import Collector, Selection, Workspace
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from autoforge_learn.collect import Collector
    from autoforge_learn.errors import AutoforgeError
    from autoforge_learn.selection import Selection
    from autoforge_learn.settings import Settings
    from autoforge_learn.tables import findings_frame, label_frames, metric_frame
    from autoforge_learn.workspace import Workspace

__all__ = [
    "AutoforgeError",
    "Collector",
    "Selection",
    "Settings",
    "Workspace",
    "__version__",
    "findings_frame",
    "label_frames",
    "metric_frame",
]

_LAZY = {
    "Collector": "autoforge_learn.collect",
    "AutoforgeError": "autoforge_learn.errors",
    "Selection": "autoforge_learn.selection",
    "Settings": "autoforge_learn.settings",
    "Workspace": "autoforge_learn.workspace",
    "findings_frame": "autoforge_learn.tables",
    "label_frames": "autoforge_learn.tables",
    "metric_frame": "autoforge_learn.tables",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that `autoforge --help` does not pay for pydantic models it never uses.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autoforge_learn' has no attribute {name!r}")
