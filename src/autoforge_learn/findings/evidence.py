"""The evidence behind each kind of finding, typed.

Every detector fills one of these models; loops, suggestion rules and reports read
its attributes (never string keys with silent defaults). ``type`` tells the models
apart in JSON, so a finding read back from a file gets its evidence class again.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextCount(_Model):
    """A text and how often it occurred."""

    text: str
    count: int


class Segment(_Model):
    """Where a gate failure cause is most frequent (over the gate's runs: a run is the
    first checks of one stage output; ``failures`` are runs failing for the cause and
    ``checks`` the runs)."""

    by: str = Field(description="prompt_version, platform, or all")
    value: str
    failures: int
    checks: int
    rate: float | None
    p_concentrated: float | None = Field(
        description="One-sided p-value that the cause is more frequent here than elsewhere"
    )
    rate_ratio: float | None = Field(description="Rate here / rate elsewhere (None: infinite)")


class VersionRate(_Model):
    """A cause's run rate under one prompt version, over projects (``failures``: runs
    failing for the cause; ``checks``: runs)."""

    version: str
    failures: int
    checks: int
    projects: int
    rate: float | None
    low: float | None = Field(description="Lower end of the rate's 95% interval")
    high: float | None = Field(description="Upper end of the rate's 95% interval")


class GateCauseEvidence(_Model):
    """Gate failure root cause: one cause (cluster of reasons) of one gate."""

    type: Literal["gate_cause"] = "gate_cause"
    gate_id: str
    stage: str | None
    cause: str
    failures: int
    gate_failures: int
    gate_checks: int
    gate_failure_rate: float | None
    share_of_failures: float | None
    retries: int = Field(description="Failing checks of this cause that were retries")
    phrasings: list[TextCount]
    versions: dict[str, int] = Field(description="Failures of this cause per prompt version")
    segment: Segment
    by_version: list[VersionRate] = Field(
        default_factory=list, description="The cause's run rate per prompt version"
    )
    p_versions_differ: float | None = Field(
        None,
        description="p-value that the cause's rate differs between the gate's prompt "
        "versions (each against the rest over projects, Bonferroni-corrected); None with "
        "one version",
    )


class GateRetries(_Model):
    """Retried checks of one gate."""

    gate_id: str
    retries: int


class RetryEvidence(_Model):
    """Retry hotspot: retries per stage run of a role (and platform or domain)."""

    type: Literal["retry_hotspot"] = "retry_hotspot"
    avg_retries: float | None
    stages: int
    retries_total: int
    top_gates: list[GateRetries]
    top_reasons: list[TextCount]


class FeedbackCount(_Model):
    """A downstream feedback text, its severity and how often it was given."""

    text: str
    count: int
    severity: str


class HandoffEvidence(_Model):
    """Handoff from one role to the next."""

    type: Literal["handoff"] = "handoff"
    handoffs: int
    rejections: int
    rejection_rate: float | None
    downstream_pass_rate: float | None
    downstream_avg_retries: float | None
    info_quality_score: float | None
    feedback: list[FeedbackCount]
    smoothness_rank: int | None = Field(None, description="1 = the roughest handoff")


class OverrideEvidence(_Model):
    """Human overrides of one role's decisions of one type."""

    type: Literal["human_override"] = "human_override"
    decisions: int
    overrides: int
    override_rate: float | None
    reasons: list[TextCount]
    chosen_instead: list[TextCount]
    adjacent_share: float | None = Field(
        description="Share of overrides that picked an option next to the recommendation"
    )


class TokenEvidence(_Model):
    """Token efficiency of one prompt version against its role's baseline version."""

    type: Literal["token_efficiency"] = "token_efficiency"
    avg_tokens_per_success: float | None
    best_version: str
    best_avg_tokens: float | None
    excess_ratio: float | None
    pass_rate: float | None
    pass_rate_interval: list[float]
    best_pass_rate: float | None
    p_better_quality: float | None = Field(
        description="One-sided p-value that this version's first-pass rate is higher"
    )
    executions: int
    successes: int


class RecipeSummary(_Model):
    """Outcomes of a group of projects."""

    projects: int
    shipped: int
    success_rate: float | None
    avg_time: float | None
    avg_quality: float | None
    avg_cost: float | None


class RecipeGroupEvidence(RecipeSummary):
    """Recipe effectiveness of one recipe (or recipe and domain, or team size)."""

    type: Literal["recipe_group"] = "recipe_group"


class NamedRecipeSummary(RecipeSummary):
    """A recipe version's outcomes."""

    recipe: str


class RecipeComparisonEvidence(_Model):
    """Two versions of one recipe family compared."""

    type: Literal["recipe_comparison"] = "recipe_comparison"
    projects: int
    baseline: NamedRecipeSummary
    candidate: NamedRecipeSummary
    p_quality: float | None
    p_time: float | None
    time_change: float | None


class CalibrationBucket(_Model):
    """One confidence bucket of a calibration curve."""

    lower: float | None
    upper: float | None
    count: int
    mean_predicted: float | None
    observed_rate: float | None
    interval: list[float | None] | None


class CalibrationEvidence(_Model):
    """Stated confidence against success, for one role."""

    type: Literal["calibration"] = "calibration"
    ece: float | None
    brier: float | None
    mean_confidence: float | None = Field(description="Mean stated confidence, 0-100")
    success_rate: float | None
    gap: float | None = Field(description="Mean confidence minus success rate, in points")
    direction: Literal["overconfident", "underconfident"]
    buckets: list[CalibrationBucket]


class AutoFixEvidence(_Model):
    """One auto-fix strategy's record."""

    type: Literal["auto_fix"] = "auto_fix"
    attempts: int
    successes: int
    success_rate: float | None
    rank: int
    shrunk_rate: float | None
    best: bool
    worst: bool
    gates: list[str]


class ReviewEvidence(_Model):
    """What manual reviewers said of one role's (and version's) outputs."""

    type: Literal["manual_review"] = "manual_review"
    reviews: int
    mean_rating: float
    learning_signals: list[TextCount]
    suggested_improvements: list[TextCount]
    checklist_failures: dict[str, int]


Evidence = Annotated[
    GateCauseEvidence
    | RetryEvidence
    | HandoffEvidence
    | OverrideEvidence
    | TokenEvidence
    | RecipeGroupEvidence
    | RecipeComparisonEvidence
    | CalibrationEvidence
    | AutoFixEvidence
    | ReviewEvidence,
    Field(discriminator="type"),
]
