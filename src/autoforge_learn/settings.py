"""Settings: every key of ``.autoforge/config.yaml``, declared once as typed models.

Each section of the file is a model below; each setting has its type, its bounds, its
default and a description (the settings reference in ``docs/settings.md`` is generated
from these models, and a test keeps it in step). Every key is optional: a missing key
takes its default. An unknown key, a wrong type or a value out of bounds is a
:class:`~autoforge_learn.errors.ConfigError` naming the file and the key.

    settings = load_settings(Path(".autoforge/config.yaml"))
    settings.patterns.retry_hotspot.threshold   # 1.0
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from autoforge_learn.errors import ConfigError

#: The suggestion types (rules) that ``suggest.priors`` and ``suggest.efficacy`` name.
SUGGESTION_TYPES = (
    "constraint_clarity",
    "example_addition",
    "context_enrichment",
    "decision_framework",
    "constraint_removal",
    "role_handoff_improvement",
)


def _per_type(values: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(values) - set(SUGGESTION_TYPES))
    if unknown:
        raise ValueError(
            f"unknown suggestion type(s) {', '.join(unknown)}; known: {', '.join(SUGGESTION_TYPES)}"
        )
    for name, value in values.items():
        if not 0 <= value <= 1:
            raise ValueError(f"{name}: {value} is not between 0 and 1")
    return values


PerType = Annotated[dict[str, float], AfterValidator(_per_type)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class CollectSettings(_Section):
    """How the SDK records events."""

    survey_sample_rate: float = Field(
        0.8, ge=0, le=1, description="Share of projects asked the post-project survey."
    )
    redact_secrets: bool = Field(
        False,
        description="Strip API keys, tokens and passwords from stage outputs and prompt "
        "templates before they are written.",
    )


class GateSettings(_Section):
    """How gates behave in the pipeline."""

    max_retries: int = Field(
        3, ge=1, description="Retries a gate gets before it is escalated to a human."
    )


class GateCauseSettings(_Section):
    """Gate failure root causes."""

    gate_failure_rate: float = Field(
        0.10, ge=0, le=1, description="A gate failing more often than this is examined."
    )
    top_n: int = Field(3, ge=1, description="Failure causes reported per gate.")
    cause_rate: float = Field(
        0.08,
        ge=0,
        le=1,
        description="First-check failure rate of one cause, in its most affected prompt "
        "version or platform, above which the cause is serious.",
    )
    min_failures: int = Field(3, ge=1, description="Failures a cause needs to be reported.")
    concentration_alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Significance level of the test that a cause is concentrated in one "
        "prompt version or platform.",
    )
    segment_alpha: float = Field(
        0.5, gt=0, lt=1, description="Significance level below which a segment is named."
    )
    concentration_ratio: float = Field(
        1.75,
        ge=1,
        description="A concentrated cause's rate in its segment must be at least this "
        "multiple of its rate elsewhere.",
    )
    template_similarity: float = Field(
        0.5, ge=0, le=1, description="Similarity at which two reasons share a template."
    )
    merge_distance: float = Field(
        0.75, ge=0, le=1, description="Distance below which two reason clusters merge."
    )
    use_retry_links: bool = Field(
        True, description="Consecutive failing checks of one task link their reasons."
    )
    min_links: int = Field(
        2, ge=1, description="Retry links needed before two reason clusters are joined."
    )


class RetrySettings(_Section):
    """Retry hotspots."""

    threshold: float = Field(
        1.0, ge=0, description="Mean retries per stage run above which a segment is a hotspot."
    )


class HandoffSettings(_Section):
    """Handoffs between agents."""

    rejection_rate: float = Field(
        0.25, ge=0, le=1, description="Downstream rejection rate above which a handoff is rough."
    )


class OverrideSettings(_Section):
    """Human overrides of agent decisions."""

    threshold: float = Field(
        0.5, ge=0, le=1, description="Override rate from which a decision type is flagged."
    )


class TokenSettings(_Section):
    """Token efficiency of prompt versions."""

    excess: float = Field(
        0.20, ge=0, description="Extra tokens per success, against the baseline, that is waste."
    )
    alpha: float = Field(0.01, gt=0, lt=1, description="Significance level of the token test.")


class RecipeSettings(_Section):
    """Recipe effectiveness."""

    min_projects: int = Field(10, ge=1, description="Projects a recipe needs to be compared.")


class CalibrationSettings(_Section):
    """Confidence calibration of agents."""

    gap_points: float = Field(
        10.0, ge=0, le=100, description="Gap between stated confidence and success (points)."
    )
    ece: float = Field(0.08, ge=0, le=1, description="Expected calibration error that is too high.")
    n_bins: int = Field(5, ge=2, le=50, description="Confidence buckets.")


class AutoFixSettings(_Section):
    """Auto-fix strategies."""

    min_attempts: int = Field(5, ge=1, description="Attempts a strategy needs to be ranked.")
    prior_strength: float = Field(
        4.0, ge=0, description="Weight of the pooled success rate when shrinking a strategy's."
    )


class PatternSettings(_Section):
    """Thresholds of the pattern detectors."""

    min_sample: int = Field(
        20, ge=1, description="Observations below which a finding rests on thin evidence."
    )
    gate_failure_root_cause: GateCauseSettings = Field(default_factory=GateCauseSettings)
    retry_hotspot: RetrySettings = Field(default_factory=RetrySettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    human_override: OverrideSettings = Field(default_factory=OverrideSettings)
    token_efficiency: TokenSettings = Field(default_factory=TokenSettings)
    recipe_effectiveness: RecipeSettings = Field(default_factory=RecipeSettings)
    confidence_calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    auto_fix_strategy: AutoFixSettings = Field(default_factory=AutoFixSettings)


class LoopSettings(_Section):
    """Triggers of the six feedback loops."""

    same_cause_min: int = Field(
        3, ge=1, description="Loop 1: failures with one root cause that fire it."
    )
    override_rate: float = Field(
        0.5, ge=0, le=1, description="Loop 2: override rate that fires it."
    )
    min_rejections: int = Field(1, ge=1, description="Loop 3: downstream rejections that fire it.")
    quality_history: int = Field(
        10, ge=3, description="Loop 4: earlier projects a quality score is compared with."
    )
    quality_drop: float = Field(
        0.10, ge=0, le=1, description="Loop 4: drop below their mean that fires it."
    )
    token_increase: float = Field(
        0.20, ge=0, description="Loop 5: token increase over the previous version that fires it."
    )
    recent_projects: int = Field(
        20, ge=1, description="Loops 4 and 6: the recent projects examined."
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="Loop 6: significance level.")


_DEFAULT_PRIORS: dict[str, float] = {
    "constraint_clarity": 0.9,
    "example_addition": 0.75,
    "context_enrichment": 0.8,
    "decision_framework": 0.7,
    "constraint_removal": 0.8,
    "role_handoff_improvement": 0.8,
}
_DEFAULT_EFFICACY: dict[str, float] = {
    "constraint_clarity": 0.7,
    "example_addition": 0.5,
    "context_enrichment": 0.5,
    "decision_framework": 0.4,
    "constraint_removal": 0.0,
    "role_handoff_improvement": 0.6,
}


class SuggestSettings(_Section):
    """How findings become prompt change suggestions."""

    min_failures: int = Field(
        3, ge=1, description="Failures of one root cause before a constraint is clarified."
    )
    min_retries: int = Field(
        10, ge=1, description="Retries of one root cause that make an example worth adding."
    )
    min_overrides: int = Field(
        3, ge=1, description="Overrides of one decision type before context is added."
    )
    context_share: float = Field(
        0.3, ge=0, le=1, description="Share of override reasons that must name missing context."
    )
    min_decision_types: int = Field(
        2, ge=1, description="Overridden decision types of one role that call for a framework."
    )
    max_adjacent_share: float = Field(
        0.34,
        ge=0,
        le=1,
        description="A framework is also proposed when fewer overrides than this share were "
        "near misses.",
    )
    quality_tolerance: float = Field(
        0.02, ge=0, le=1, description="Pass rates within this of the best count as no better."
    )
    quality_alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="A costlier version counts as better only below this p-value.",
    )
    min_severity: Literal["high", "medium", "low", "info"] = Field(
        "medium", description="Findings below this severity make no suggestion."
    )
    min_rejections: int = Field(
        2, ge=1, description="Downstream rejections before a handoff change is proposed."
    )
    thin_factor: float = Field(
        0.5, ge=0, le=1, description="Confidence multiplier for findings on thin evidence."
    )
    max_quotes: int = Field(3, ge=0, description="Real phrasings quoted per suggestion.")
    rewriter: str = Field(
        "deterministic",
        min_length=1,
        description="Rewriter plug-in for the new text (deterministic: none).",
    )
    priors: PerType = Field(
        default_factory=lambda: dict(_DEFAULT_PRIORS),
        description="Confidence before the data, per suggestion type (0-1).",
    )
    efficacy: PerType = Field(
        default_factory=lambda: dict(_DEFAULT_EFFICACY),
        description="Share of the addressed problem a change is assumed to remove, per type.",
    )


class Settings(_Section):
    """The whole ``config.yaml``."""

    schema_version: str = Field("1.0", description="Version of the config file's layout.")
    collect: CollectSettings = Field(default_factory=CollectSettings)
    gates: GateSettings = Field(default_factory=GateSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    loops: LoopSettings = Field(default_factory=LoopSettings)
    suggest: SuggestSettings = Field(default_factory=SuggestSettings)

    def merged(self, overrides: Mapping[str, Any] | None) -> Settings:
        """These settings with ``overrides`` (a nested mapping, as in the file) on top.

        Raises:
            ConfigError: If an override names an unknown setting or a bad value.
        """
        if not overrides:
            return self
        return settings_from_mapping(_merge(self.model_dump(), overrides), source="overrides")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            # priors/efficacy: a partial mapping adds to the defaults
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return []
    return list(model.model_fields)


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            known = _known_keys(Settings, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"; did you mean {'.'.join([*map(str, loc[:-1]), close[0]])}?" if close else ""
            lines.append(f"{source}: {key}: unknown setting{hint}")
        else:
            lines.append(f"{source}: {key}: {err['msg']}")
    return "\n".join(lines)


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "config") -> Settings:
    """Validate a nested mapping (a parsed ``config.yaml``) as settings.

    Raises:
        ConfigError: Naming ``source`` and each bad key.
    """
    try:
        # merged over the defaults, so a partial per-type mapping (suggest.priors) keeps
        # the types it does not name
        return Settings.model_validate(_merge(Settings().model_dump(), data))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_settings(path: Path) -> Settings:
    """The settings of a ``config.yaml`` (the defaults when the file does not exist).

    Raises:
        ConfigError: If the file cannot be read, is not YAML, is not a mapping, or holds
            an unknown key or a bad value; the message names the file and the key.
    """
    if not path.exists():
        return Settings()
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return settings_from_mapping(data, source=str(path))


def iter_settings(
    model: type[BaseModel] = Settings, prefix: str = ""
) -> Iterator[tuple[str, Any, str]]:
    """Every leaf setting as ``(dotted.key, default, description)``, in declaration order."""
    instance = model()
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_settings(annotation, f"{key}.")
        else:
            yield key, getattr(instance, name), field.description or ""


def default_config_text() -> str:
    """A ``config.yaml`` with every setting at its default, sections commented."""
    import yaml

    lines = [
        "# AutoForge Learn configuration. Every key is optional; a missing key takes the",
        "# default shown here. Each setting is described in docs/settings.md.",
    ]
    data = Settings().model_dump(mode="json")
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines.append(f"# {annotation.__doc__ or name}")
        lines.append(yaml.safe_dump({name: data[name]}, sort_keys=False).rstrip())
    return "\n".join(lines) + "\n"


def settings_reference() -> str:
    """The settings reference (``docs/settings.md``), generated from the models: one
    table per section with every key, its default and what it does."""
    lines = [
        "# Settings",
        "",
        "Every key of `.autoforge/config.yaml`, with its default. Every key is optional; an",
        "unknown key or a value out of bounds is an error that names the file and the key.",
        "`autoforge init` writes a config file with every default. This page is generated",
        "from the settings models (`autoforge_learn.settings`); a test keeps it in step.",
    ]
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        lines += ["", f"## `{name}`", ""]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines += [(annotation.__doc__ or "").strip(), ""]
            rows = list(iter_settings(annotation, f"{name}."))
        else:
            rows = [(name, getattr(Settings(), name), field.description or "")]
        lines += ["| setting | default | what it does |", "|---|---|---|"]
        for key, default, description in rows:
            shown = _shown(default)
            lines.append(f"| `{key}` | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    import json

    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return f"`{json.dumps(value)}`"
