"""An A/B experiment of two prompt versions of one role, as stored in the store.

An experiment is a plain YAML file, ``ai/experiments/<id>.yaml``: its design (role,
control and treatment versions, split, primary and secondary metrics, guardrails,
planned projects, fixed or sequential analysis, the assignment salt), its status, and
its history (every change, dated), like a prompt file keeps its versions.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autoforge_learn.errors import UsageError

Mode = Literal["fixed", "sequential"]
#: ``running``; an A/B test ends ``concluded`` (a winner or none) or ``stopped``; a
#: rollout ends ``completed`` (the new version is the default) or ``rolled_back``.
Status = Literal["running", "concluded", "stopped", "completed", "rolled_back"]

_GUARDRAIL = re.compile(
    r"^(?P<metric>[a-z_]+)(?::(?P<sign>[+-])(?P<size>\d+(?:\.\d+)?)(?P<pct>%?))?$"
)


class ExperimentError(UsageError):
    """An experiment cannot be started, found, read or changed; the message says why."""


class Guardrail(BaseModel):
    """A metric the treatment must not make worse by more than a margin.

    Attributes:
        metric: A metric of the catalogue.
        margin: How much worse is tolerated, in the metric's direction of harm
            (``+10%`` on a cost: 10% more; ``-2`` on a quality: 2 points less).
        relative: Whether ``margin`` is a share of the control's value.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    margin: float = Field(0.0, ge=0)
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> Guardrail:
        """``metric:+10%``, ``metric:-2`` (the sign says which way is worse) or
        ``metric`` alone (no margin: any deterioration counts)."""
        match = _GUARDRAIL.match(text.strip())
        if match is None:
            raise ExperimentError(
                f"--guardrail {text!r}: expected METRIC:+N%, METRIC:-N or METRIC, "
                "e.g. cost_per_project:+10% or quality_score:-2"
            )
        if match["size"] is None:
            return cls(metric=match["metric"])
        return cls(
            metric=match["metric"],
            margin=float(match["size"]) / (100 if match["pct"] else 1),
            relative=bool(match["pct"]),
        )

    def describe(self) -> str:
        if self.margin == 0:
            return f"{self.metric} no worse"
        size = f"{self.margin:.0%}" if self.relative else f"{self.margin:g}"
        return f"{self.metric} no worse by more than {size}"


class Change(BaseModel):
    """One dated entry of an experiment's history."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    status: Status
    note: str


class Decision(BaseModel):
    """How an experiment ended, with its evidence."""

    model_config = ConfigDict(extra="forbid")

    winner: str | None = Field(description="The version made the default (None: no change)")
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class Phase(BaseModel):
    """One step of a rollout: the share of new projects sent to the new version."""

    model_config = ConfigDict(extra="forbid")

    share: int = Field(ge=1, le=100, description="Percent of new projects on the new version")
    started_at: datetime


class RolloutPlan(BaseModel):
    """How a rollout moves: its shares in order, the holdback kept on the previous
    default throughout, and how many projects a phase needs before the next one.

    Attributes:
        steps: Percent of new projects on the new version, phase by phase (25, 50, 100).
        holdback: Percent of projects always kept on the previous default (the
            randomized comparison group, at every phase, including 100%).
        phase_projects: Projects a phase needs (with data) before the next one starts.
        phases: The phases started so far, with when.
    """

    model_config = ConfigDict(extra="forbid")

    steps: list[int] = Field(min_length=1)
    holdback: int = Field(10, ge=1, le=50)
    phase_projects: int = Field(10, ge=2)
    phases: list[Phase] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)) or not (
            0 < steps[0] and steps[-1] == 100
        ):
            raise ValueError("steps must increase and end at 100, e.g. 25, 50, 100")
        return steps

    @property
    def phase(self) -> int:
        """The current phase's number (0 before it starts)."""
        return len(self.phases)

    @property
    def share(self) -> int:
        """The current share (percent) of new projects on the new version."""
        return self.steps[max(self.phase, 1) - 1]


class Experiment(BaseModel):
    """An A/B test of two prompt versions of one role (see the module docstring), or a
    rollout of a new version against the previous default (``rollout`` set)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    role: str
    control: str
    treatment: str
    split: int = Field(50, ge=1, le=99, description="Share of new projects (%) on treatment")
    metric: str = "gate_pass_rate"
    secondary: list[str] = Field(default_factory=list)
    guardrails: list[Guardrail] = Field(default_factory=list)
    planned_projects: int | None = Field(None, ge=2)
    mode: Mode = "fixed"
    alpha: float = Field(0.05, gt=0, lt=1)
    salt: str = Field(min_length=8)
    status: Status = "running"
    started_at: datetime
    ended_at: datetime | None = None
    decision: Decision | None = None
    history: list[Change] = Field(default_factory=list)
    rollout: RolloutPlan | None = None

    @field_validator("id")
    @classmethod
    def _no_dots_pair(cls, value: str) -> str:
        if ".." in value:
            raise ValueError("must not contain '..'")
        return value

    @model_validator(mode="after")
    def _versions_of_the_role(self) -> Experiment:
        for version in (self.control, self.treatment):
            if not version.startswith(f"{self.role}.v"):
                raise ValueError(f"{version} is not a version of role {self.role}")
        if self.control == self.treatment:
            raise ValueError("control and treatment must be different versions")
        return self

    def version_of(self, arm: str) -> str:
        """The prompt version of an arm (``control`` or ``treatment``)."""
        return self.treatment if arm == "treatment" else self.control

    @property
    def kind(self) -> str:
        """``rollout`` or ``experiment``."""
        return "rollout" if self.rollout is not None else "experiment"

    def noted(self, status: Status, note: str, at: datetime) -> Experiment:
        """A copy with a new status and a dated history entry."""
        ended = at if status != "running" else None
        return self.model_copy(update={
            "status": status, "ended_at": ended,
            "history": [*self.history, Change(at=at, status=status, note=note)],
        })

    @property
    def metrics(self) -> list[str]:
        """The primary metric, then the secondary ones."""
        return [self.metric, *[m for m in self.secondary if m != self.metric]]
