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
Status = Literal["running", "concluded", "stopped"]

_GUARDRAIL = re.compile(r"^(?P<metric>[a-z_]+):(?P<sign>[+-])(?P<size>\d+(?:\.\d+)?)(?P<pct>%?)$")


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
    margin: float = Field(gt=0)
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> Guardrail:
        """``metric:+10%`` or ``metric:-2`` (the sign says which way is worse)."""
        match = _GUARDRAIL.match(text.strip())
        if match is None:
            raise ExperimentError(
                f"--guardrail {text!r}: expected METRIC:+N% or METRIC:-N, "
                "e.g. cost_per_project:+10% or quality_score:-2"
            )
        return cls(
            metric=match["metric"],
            margin=float(match["size"]) / (100 if match["pct"] else 1),
            relative=bool(match["pct"]),
        )

    def describe(self) -> str:
        size = f"{self.margin:.0%}" if self.relative else f"{self.margin:g}"
        return f"{self.metric} no worse than {size}"


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


class Experiment(BaseModel):
    """An A/B test of two prompt versions of one role (see the module docstring)."""

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
    def metrics(self) -> list[str]:
        """The primary metric, then the secondary ones."""
        return [self.metric, *[m for m in self.secondary if m != self.metric]]
