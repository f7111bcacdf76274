"""Gate checks of simulated stage runs: several artifacts per gate, retries, auto-fixes,
escalations.

A gate checks each of the project's ``checks`` artifacts of the stage run (stories,
endpoints, screens, test files, ... :data:`~autoforge_learn.sim.catalog.GATE_ARTIFACTS`)
in turn. An artifact's first check fails with the project's probability for the gate
(:mod:`autoforge_learn.sim.effects`); a failing artifact is re-checked (``retry_attempt``
2, 3, ...) until it passes, an auto-fix succeeds, or ``max_retries`` failed checks
escalate it to a human. An unresolved escalation stops the gate and the stage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from autoforge_learn.collect.runs import ProjectRun, StageRun
from autoforge_learn.sim import texts
from autoforge_learn.sim.catalog import Cause, Gate
from autoforge_learn.sim.model import LatentModel
from autoforge_learn.sim.prompts import VERSIONS
from autoforge_learn.sim.state import Project, SimClock, Stats
from autoforge_learn.sim.texts import fill

FIXABLE_CAUSES = frozenset(c for v in VERSIONS for c in v.fixes)
#: Probability that a re-check of an artifact fails for the same cause as its last check.
SAME_CAUSE_ON_RETRY = 0.6


class GateChecks:
    """Records the checks of one gate in one stage run."""

    def __init__(self, model: LatentModel, clock: SimClock, stats: Stats,
                 retry_usage: Callable[[StageRun, Project], None]) -> None:
        self.m = model
        self.clock = clock
        self.stats = stats
        self.retry_usage = retry_usage

    def check_gate(self, p: ProjectRun, s: StageRun, pj: Project, gate: Gate,
                   causes: list[tuple[Cause, float]], fail_p: float) -> tuple[bool, bool]:
        """Check every artifact of the stage run at ``gate``.

        Args:
            causes: The causes that can fail the gate here, with their rates (weights).
            fail_p: The project's probability that an artifact's first check fails
                (a re-check fails with that times the retry persistence).

        Returns:
            (resolved, eventful): whether every artifact was finally passed, fixed or
            overridden, and whether any needed anything beyond one passing check.
        """
        eventful = False
        for _ in range(pj.effects.gates[gate.id].checks):
            resolved, troubled = self.check_artifact(p, s, pj, gate, causes, fail_p)
            eventful = eventful or troubled
            if not resolved:  # an unresolved escalation stops the gate
                break
        else:
            resolved = True
        if eventful:
            pj.failed_gate_runs += 1
        return resolved, eventful

    def check_artifact(self, p: ProjectRun, s: StageRun, pj: Project, gate: Gate,
                       causes: list[tuple[Cause, float]], fail_p: float,
                       ) -> tuple[bool, bool]:
        """Check one artifact until it passes, is auto-fixed or escalated.

        Returns:
            (resolved, eventful), as :meth:`check_gate`, for this artifact.
        """
        m, rng = self.m, pj.rng
        again = fail_p * m.persistence(s.agent_role, pj.platform)
        last: Cause | None = None
        attempt = 1
        while True:
            self.clock.advance(rng.uniform(20, 150))
            self.stats.gate_checks += 1
            if not causes or rng.random() >= (fail_p if attempt == 1 else again):
                passed = s.gate(gate_id=gate.id, validation_result="pass",
                                retry_attempt=attempt, validation_timestamp=self.clock.now)
                self.stats.truth_label("gate", passed.event_id, "excellent")
                return True, attempt > 1
            if last is None or rng.random() >= SAME_CAUSE_ON_RETRY:
                last = rng.choices([c for c, _ in causes], weights=[r for _, r in causes])[0]
            reason = fill(rng.choice(last.phrasings), rng, pj.recipe.family)
            fields: dict[str, Any] = {"validation_reason": reason, "retry_attempt": attempt,
                                      "validation_timestamp": self.clock.now}
            fixed = False
            if rng.random() < m.auto_fix_apply:
                strategy = rng.choice(gate.strategies)
                success = pj.effects.fix_probability(gate.id, m.strategy_success[strategy])
                fixed = rng.random() < success
                fields.update(auto_fix_applied=True, auto_fix_strategy=strategy,
                              auto_fix_success=fixed)
            escalate = not fixed and attempt >= m.max_retries
            resolved = False
            choice: tuple[str, str] | None = None
            if escalate:
                fields["escalated"] = True
                resolved = rng.random() < m.escalation_resolve
                if resolved:
                    choice = rng.choice(texts.HUMAN_GATE_DECISIONS)
                    fields.update(human_override=True, human_decision=choice[0])
            event = s.gate(gate_id=gate.id, validation_result="fail", **fields)
            self.stats.gate_failures += 1
            pj.gate_failures += 1
            self.stats.truth_events.append(
                {"event_id": event.event_id, "gate_id": gate.id, "cause_id": last.id})
            # The check's real outcome: fixed by the agent's own auto-fix, resolved by a
            # human after escalation, or a failure that needed more.
            truth = "good" if fixed else "acceptable" if resolved else "poor"
            self.stats.truth_label("gate", event.event_id, truth)
            if fixed:
                return True, True
            if escalate:
                self.escalate(p, s, pj, gate, last, reason, attempt, resolved, choice)
                return resolved, True
            self.clock.advance(60 * rng.uniform(4, 20))
            self.retry_usage(s, pj)
            attempt += 1

    def escalate(self, p: ProjectRun, s: StageRun, pj: Project, gate: Gate, cause: Cause,
                 reason: str, attempt: int, resolved: bool,
                 choice: tuple[str, str] | None) -> None:
        """Record the escalation of an artifact that failed ``attempt`` checks."""
        rng = pj.rng
        pj.escalations += 1
        spent = rng.lognormvariate(math.log(5400), 0.7)
        self.clock.advance(spent)
        p.escalation(
            reason=f"Gate {gate.id} failed {attempt} checks: {reason}",
            stage=s.stage_id, agent_role=s.agent_role, gate_id=gate.id,
            time_spent_escalated=round(spent, 1),
            resolution=choice[1] if choice else texts.UNRESOLVED, resolved=resolved,
            human_effort_required=(rng.randint(1, 3) if resolved else rng.randint(3, 5)),
            avoidable=cause.id in FIXABLE_CAUSES or rng.random() < 0.2,
        )
