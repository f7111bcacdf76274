"""The library entry point: run all eight detectors (or some) on one selection of data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import UsageError
from autoforge_learn.findings import Finding, Pattern

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.patterns.detectproc import DetectorProcess
    from autoforge_learn.selection import Selection
    from autoforge_learn.settings import PatternSettings
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


def import_detectors() -> None:
    """Import every detector's module (done ahead, where a run will need them)."""
    _detectors()


def run_detectors(
    data: Dataset, settings: PatternSettings, patterns: Iterable[Pattern]
) -> list[Finding]:
    """The findings of the detectors of ``patterns`` on ``data``, not judged yet: data
    and settings in, findings out (what the detector process runs)."""
    detectors = _detectors()  # imported only when they run
    findings: list[Finding] = []
    for pattern in sorted(patterns, key=_ORDER.index):
        findings.extend(detectors[pattern](data, settings))
    return findings


@dataclass
class Detection:
    """Findings on their way (see :func:`start_detection`): kept from an earlier run,
    being found by a detector process, or found here when asked for."""

    ws: Workspace
    patterns: list[Pattern]
    data: Dataset | None
    key: str | None
    kept: list[Finding] | None = None
    process: DetectorProcess | None = None

    def findings(self) -> list[Finding]:
        """The judged findings (the detectors run here if nothing else found them)."""
        if self.kept is not None:
            return self.kept
        from autoforge_learn.patterns.cache import save_findings
        from autoforge_learn.patterns.verdicts import judge

        settings = self.ws.settings.patterns
        data = self.data
        if data is None:
            from autoforge_learn.dataset import load_dataset

            data = self.data = load_dataset(self.ws)
        found: dict[Pattern, list[Finding]] = {}
        if self.process is not None:
            found = self.process.share(lambda p: run_detectors(data, settings, [p]))
            theirs = self.process.result()
            if theirs is not None:
                found.update(theirs[0])
                data.keep_runs(theirs[1])
        # what no process found (none, or it failed): a real error surfaces here
        for pattern in self.patterns:
            if pattern not in found:
                found[pattern] = run_detectors(data, settings, [pattern])
        raw = [f for p in sorted(found, key=_ORDER.index) for f in found[p]]
        # the run's claims are one family: adjusted together, then graded
        self.kept = judge(raw, settings)
        if self.key is not None:
            save_findings(self.ws, self.key, self.kept)
        return self.kept


def start_detection(
    ws: Workspace,
    selection: Selection | None = None,
    *,
    patterns: Iterable[Pattern | str] | None = None,
    data: Dataset | None = None,
    process: DetectorProcess | None = None,
) -> Detection:
    """Begin finding patterns: the findings of an earlier run on the same inputs are
    taken at once; otherwise the detectors start in ``process`` (if given) while the
    caller goes on, or run when :meth:`Detection.findings` is called.

    Arguments as for :func:`detect_patterns`; ``process`` is a
    :class:`~autoforge_learn.patterns.detectproc.DetectorProcess`.
    """
    from autoforge_learn.patterns.cache import findings_key, load_findings
    from autoforge_learn.selection import Selection

    try:
        wanted: list[Pattern] = [Pattern(p) for p in patterns] if patterns else list(DETECTED)
    except ValueError as exc:
        raise UsageError(f"--pattern: {exc}") from None
    unknown = [p for p in wanted if p not in DETECTED]
    if unknown:
        raise UsageError(f"no detector for pattern(s) {', '.join(map(str, unknown))}")
    covered = data.selection if data is not None else (selection or Selection())
    # A dataset built by other means than load_dataset has no selection to key it by.
    key = None if covered is None else findings_key(ws, covered, wanted)
    kept = None if key is None else load_findings(ws, key)
    if kept is not None:
        return Detection(ws, wanted, data, key, kept=kept)
    if data is None:
        from autoforge_learn.dataset import load_dataset

        data = load_dataset(ws, selection)
    if process is not None and not process.submit(data, ws.settings.patterns, wanted):
        process = None
    return Detection(ws, wanted, data, key, process=process)


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
    return start_detection(ws, selection, patterns=patterns, data=data).findings()


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
