"""Pattern detection and feedback loops.

Library API::

    from autoforge_learn import Selection, Workspace
    from autoforge_learn.patterns import detect_patterns, evaluate_loops

    with Workspace.open(".autoforge") as ws:
        findings = detect_patterns(ws, Selection.build(last_projects=50))
        actions = evaluate_loops(ws, findings, Selection.build(last_projects=50))

Per-detector functions with the same arguments: :func:`gate_failure_root_causes`,
:func:`retry_hotspots`, :func:`handoffs`, :func:`human_overrides`,
:func:`token_efficiency`, :func:`recipe_effectiveness`, :func:`confidence_calibration`,
:func:`auto_fix_strategies`. Heavy libraries (ibis, pandas, scipy) load on first use.
"""

from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import Example, Finding, Pattern, Severity
from autoforge_learn.patterns.detect import (
    auto_fix_strategies,
    confidence_calibration,
    detect_patterns,
    gate_failure_root_causes,
    handoffs,
    human_overrides,
    recipe_effectiveness,
    retry_hotspots,
    token_efficiency,
)

if TYPE_CHECKING:
    from autoforge_learn.patterns.loops import LoopAction, evaluate_loops


def __getattr__(name: str) -> Any:
    # The loops load numpy; a command that only reads kept findings need not wait for it.
    if name in ("LoopAction", "evaluate_loops"):
        from autoforge_learn.patterns import loops

        return getattr(loops, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Example",
    "Finding",
    "LoopAction",
    "Pattern",
    "Severity",
    "auto_fix_strategies",
    "confidence_calibration",
    "detect_patterns",
    "evaluate_loops",
    "gate_failure_root_causes",
    "handoffs",
    "human_overrides",
    "recipe_effectiveness",
    "retry_hotspots",
    "token_efficiency",
]
