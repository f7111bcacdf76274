"""The library entry point: run all eight detectors (or some) on one selection of data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import UsageError
from autoforge_learn.findings import Finding, Pattern

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

_ORDER = list(Pattern)
#: The patterns the detectors find (the keys of ``_detectors()``, known without
#: importing them); manual reviews come from people, not from a detector.
DETECTED = tuple(p for p in Pattern if p != Pattern.MANUAL_REVIEW)


def _detectors() -> dict[Pattern, Callable[..., list[Finding]]]:
    from autoforge_learn.patterns.autofix import detect_autofix
    from autoforge_learn.patterns.calibration import detect_calibration
    from autoforge_learn.patterns.gates import detect_gate_root_causes
    from autoforge_learn.patterns.handoffs import detect_handoffs
    from autoforge_learn.patterns.overrides import detect_overrides
    from autoforge_learn.patterns.recipes import detect_recipes
    from autoforge_learn.patterns.retries import detect_retry_hotspots
    from autoforge_learn.patterns.tokens import detect_token_efficiency

    return {
        Pattern.GATE_FAILURE_ROOT_CAUSE: detect_gate_root_causes,
        Pattern.RETRY_HOTSPOT: detect_retry_hotspots,
        Pattern.HANDOFF: detect_handoffs,
        Pattern.HUMAN_OVERRIDE: detect_overrides,
        Pattern.TOKEN_EFFICIENCY: detect_token_efficiency,
        Pattern.RECIPE_EFFECTIVENESS: detect_recipes,
        Pattern.CONFIDENCE_CALIBRATION: detect_calibration,
        Pattern.AUTO_FIX_STRATEGY: detect_autofix,
    }


def detect_patterns(
    ws: Workspace,
    selection: Selection | None = None,
    *,
    patterns: Iterable[Pattern | str] | None = None,
    data: Dataset | None = None,
) -> list[Finding]:
    """Run the pattern detectors on the workspace's selected events.

    Args:
        ws: The workspace (its settings' ``patterns`` section sets the thresholds).
        selection: Which events (default: all); ignored when ``data`` is given.
        patterns: Only these patterns (default: all eight).
        data: An already loaded :class:`~autoforge_learn.dataset.Dataset`.

    Returns:
        Findings sorted by pattern (in the order of :class:`Pattern`), then by impact
        within the pattern; their claims judged together
        (:func:`autoforge_learn.patterns.verdicts.judge`). The same inputs (index
        contents, selection, settings, code) give the findings of the last run from
        :mod:`autoforge_learn.patterns.cache` without running the detectors again.

    Raises:
        UsageError: If a pattern has no detector.
    """
    from autoforge_learn.patterns.cache import findings_key, load_findings, save_findings
    from autoforge_learn.selection import Selection

    try:
        wanted = [Pattern(p) for p in patterns] if patterns else list(DETECTED)
    except ValueError as exc:
        raise UsageError(f"--pattern: {exc}") from None
    covered = data.selection if data is not None else (selection or Selection())
    # A dataset built by other means than load_dataset has no selection to key it by.
    key = None if covered is None else findings_key(ws, covered, wanted)
    kept = None if key is None else load_findings(ws, key)
    if kept is not None:
        return kept
    detectors = _detectors()  # imported only when they run
    unknown = [p for p in wanted if p not in detectors]
    if unknown:
        raise UsageError(f"no detector for pattern(s) {', '.join(map(str, unknown))}")
    if data is None:
        from autoforge_learn.dataset import load_dataset

        data = load_dataset(ws, selection)
    settings = ws.settings.patterns
    findings: list[Finding] = []
    for pattern in sorted(wanted, key=_ORDER.index):
        findings.extend(detectors[pattern](data, settings))
    from autoforge_learn.patterns.verdicts import judge

    # the run's claims are one family: adjusted together, then graded
    judged = judge(findings, settings)
    if key is not None:
        save_findings(ws, key, judged)
    return judged


def _one(pattern: Pattern) -> Callable[..., list[Finding]]:
    def run(ws: Workspace, selection: Selection | None = None, **options: Any) -> list[Finding]:
        return detect_patterns(ws, selection, patterns=[pattern], **options)

    run.__name__ = f"detect_{pattern.value}"
    run.__doc__ = f"Findings of pattern ``{pattern.value}`` only (options of detect_patterns)."
    return run


gate_failure_root_causes = _one(Pattern.GATE_FAILURE_ROOT_CAUSE)
retry_hotspots = _one(Pattern.RETRY_HOTSPOT)
handoffs = _one(Pattern.HANDOFF)
human_overrides = _one(Pattern.HUMAN_OVERRIDE)
token_efficiency = _one(Pattern.TOKEN_EFFICIENCY)
recipe_effectiveness = _one(Pattern.RECIPE_EFFECTIVENESS)
confidence_calibration = _one(Pattern.CONFIDENCE_CALIBRATION)
auto_fix_strategies = _one(Pattern.AUTO_FIX_STRATEGY)
