"""AutoForge Learn: make multi-agent LLM delivery pipelines learn from every run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from autoforge_learn.collect import Collector

__all__ = ["Collector", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `autoforge --help` does not pay for pydantic models it never uses.
    if name == "Collector":
        from autoforge_learn.collect import Collector

        return Collector
    raise AttributeError(f"module 'autoforge_learn' has no attribute {name!r}")
