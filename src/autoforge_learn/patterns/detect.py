"""The library entry point: run all eight detectors (or some) on one selection of data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from autoforge_learn.patterns.findings import Finding, Pattern

_ORDER = list(Pattern)


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


_USES_RUNS = {Pattern.RETRY_HOTSPOT, Pattern.HANDOFF, Pattern.TOKEN_EFFICIENCY,
              Pattern.CONFIDENCE_CALIBRATION}


def detect_patterns(
    root: Path | str,
    *,
    engine: str | None = None,
    since: str | date | datetime | None = None,
    last_projects: int | None = None,
    recipe: str | None = None,
    config: dict[str, Any] | None = None,
    patterns: Iterable[Pattern | str] | None = None,
    data: Any | None = None,
) -> list[Finding]:
    """Run the pattern detectors of spec 4.1 on the recorded runs under ``root``.

    Args:
        root: The ``.autoforge`` directory.
        engine: None/``duckdb`` for the embedded index, or a PostgreSQL URL.
        since: Only events at or after this date.
        last_projects: Only the N most recently started projects.
        recipe: Only projects of this recipe or recipe family.
        config: Overrides of the thresholds (merged over ``patterns:`` of the config
            file, itself over :data:`autoforge_learn.patterns.config.DEFAULTS`).
        patterns: Only these patterns (default: all eight).
        data: An already loaded :class:`~autoforge_learn.patterns.data.Dataset`.

    Returns:
        Findings sorted by pattern (spec order), then by impact within the pattern.
    """
    from autoforge_learn.patterns.config import pattern_config
    from autoforge_learn.patterns.data import load_dataset, stage_runs

    cfg = pattern_config(root, config)
    detectors = _detectors()
    wanted = [Pattern(p) for p in patterns] if patterns else list(detectors)
    unknown = [p for p in wanted if p not in detectors]
    if unknown:
        raise ValueError(f"no detector for pattern(s) {', '.join(map(str, unknown))}")
    if data is None:
        data = load_dataset(root, engine=engine, since=since, last_projects=last_projects,
                            recipe=recipe)
    runs = stage_runs(data) if _USES_RUNS & set(wanted) else None
    findings: list[Finding] = []
    for pattern in sorted(wanted, key=_ORDER.index):
        if pattern in _USES_RUNS:
            findings.extend(detectors[pattern](data, cfg, runs=runs))
        else:
            findings.extend(detectors[pattern](data, cfg))
    return findings


def _one(pattern: Pattern) -> Callable[..., list[Finding]]:
    def run(root: Path | str, **options: Any) -> list[Finding]:
        return detect_patterns(root, patterns=[pattern], **options)

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
