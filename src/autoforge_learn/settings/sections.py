"""The sections of ``config.yaml``: one typed model per section, each setting with its
type, bounds, default and description."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

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

    @field_validator("*", mode="after")
    @classmethod
    def _fits_64_bits(cls, value: object) -> object:
        # A count such as 99999999999999999999 passes "ge=1" but breaks every array
        # library that holds it (pandas, numpy, the index): refused here, with its key.
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError(f"{value} is too large (at most {2**63 - 1})")
        return value


class CollectSettings(_Section):
    """How the SDK records events."""

    survey_sample_rate: float = Field(
        0.8, ge=0, le=1, description="Share of projects asked the post-project survey."
    )
    redact_secrets: bool = Field(
        False,
        description="Replace API keys, tokens and passwords in every free-text field of "
        "an event (outputs, prompts, reasons, feedback, context) before it is written, by "
        "the SDK and the server alike.",
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
    """Thresholds of the pattern detectors, and how their claims are judged."""

    min_sample: int = Field(
        20, ge=1, description="Observations below which a finding rests on thin evidence."
    )
    min_projects: int = Field(
        10,
        ge=2,
        description="Projects a claim needs; with fewer it is inconclusive (listed apart, "
        "never acted on).",
    )
    min_group_projects: int = Field(
        3, ge=2, description="Projects each side of a comparison needs, likewise."
    )
    fdr: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="False discovery rate: a claim is a discovery when its p-value, adjusted "
        "with the run's other claims (Benjamini-Hochberg), is at most this.",
    )
    high_fdr: float = Field(
        0.01, gt=0, lt=1, description="Adjusted p-value at most this makes a discovery high."
    )
    high_projects: int = Field(
        20, ge=2, description="Projects a discovery needs to be high (else medium)."
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
        "medium",
        description="Findings below this severity make no suggestion (and only discoveries "
        "ever do).",
    )
    min_rejections: int = Field(
        2, ge=1, description="Downstream rejections before a handoff change is proposed."
    )
    thin_factor: float = Field(
        0.5, ge=0, le=1, description="Confidence multiplier for findings on thin evidence."
    )
    max_quotes: int = Field(3, ge=0, description="Real phrasings quoted per suggestion.")
    max_quote_chars: int = Field(
        160, ge=40, description="Longest quote of a real phrasing (cut at a word boundary)."
    )
    max_added_chars: int = Field(
        1200,
        ge=200,
        description="Most characters a suggestion adds to its section (lines that do not "
        "fit are left out).",
    )
    attribution_alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="A gate cause is attributed to the role's prompt when its rate differs "
        "between prompt versions (or concentrates in one) at this p-value or below.",
    )
    missing_content_attribution: Literal["single_version", "any"] = Field(
        "single_version",
        description="Without a difference between prompt versions, a cause that reads as "
        "missing content is attributed to the prompt only when the data has one version "
        "of the role (single_version), or whatever the versions (any).",
    )
    min_version_projects: int = Field(
        3,
        ge=1,
        description="Projects a prompt version needs before its rate of a cause says "
        "whether it fixed the cause.",
    )
    wording_factor: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Confidence multiplier when a cause is attributed to the prompt by its "
        "wording only (not by a difference between prompt versions).",
    )
    confidence_projects: int = Field(
        10,
        ge=1,
        description="Projects at which a finding's sample factor in the confidence score "
        "is one half (n / (n + this)).",
    )
    experiment_power: float = Field(
        0.8, gt=0, lt=1, description="Power the planned A/B experiment is sized for."
    )
    experiment_alpha: float = Field(
        0.05, gt=0, lt=1, description="Significance level of the planned A/B experiment."
    )
    rewriter: str = Field(
        "deterministic",
        min_length=1,
        description="Rewriter plug-in for the new text (deterministic: none).",
    )
    rewriter_options: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="Settings handed to the rewriter plug-in as its context's options "
        "(for example a model name); the default rewriter reads none.",
    )
    priors: PerType = Field(
        default_factory=lambda: dict(_DEFAULT_PRIORS),
        description="Prior chance that a change of this type works, per suggestion type "
        "(0-1); a factor of the confidence score.",
    )
    efficacy: PerType = Field(
        default_factory=lambda: dict(_DEFAULT_EFFICACY),
        description="Share of the addressed problem a change is assumed to remove, per type "
        "(a prior, not estimated: expected impact = this x the measured rate).",
    )
