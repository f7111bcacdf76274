"""Run simulated projects through the collector SDK, on a simulated clock.

Every event is recorded by :class:`~autoforge_learn.collect.collector.Collector` methods
or its ``project()``/``stage()`` context managers; nothing here writes raw files.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from autoforge_learn.collect.collector import Collector
from autoforge_learn.collect.runs import ProjectRun, StageRun
from autoforge_learn.schema.events import EventBase
from autoforge_learn.schema.quality import MAJOR_REWORK_SEVERITIES
from autoforge_learn.sim import texts
from autoforge_learn.sim.catalog import (
    AGENT_MODELS,
    AUTONOMY_LEVELS,
    DECISIONS,
    DOMAIN_CONSTRAINTS,
    DOMAINS,
    GATES_BY_STAGE,
    MODEL_PRICES,
    RECIPES,
    STAGES,
    TEAM_SIZES,
    TEMPERATURES,
    TOKEN_MEANS,
    Cause,
    Decision,
    Gate,
    Recipe,
    Stage,
)
from autoforge_learn.sim.model import LatentModel
from autoforge_learn.sim.outcomes import Outcomes
from autoforge_learn.sim.prompts import VERSIONS, VERSIONS_BY_ROLE, PromptVersion
from autoforge_learn.sim.state import Project, SimClock, Stats, pick
from autoforge_learn.sim.texts import FEATURES, fill

FIXABLE_CAUSES = frozenset(c for v in VERSIONS for c in v.fixes)
LOC_MEDIAN = {"web_app": 4200, "gis_investment": 5200, "mobile_auth": 3100, "api_service": 2600}


class CountingCollector(Collector):
    """A collector that also counts what it records, by kind and month."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds: Counter[str] = Counter()
        self.months: set[str] = set()

    def record(self, event: EventBase) -> EventBase:
        self.kinds[str(event.kind)] += 1
        self.months.add(self._month_for(event.project_id, event.timestamp))
        return super().record(event)


class Engine:
    """Runs projects of one latent model through one collector."""

    def __init__(self, collector: Collector, clock: SimClock, model: LatentModel,
                 templates: dict[str, str]) -> None:
        self.c = collector
        self.clock = clock
        self.m = model
        self.templates = templates
        self.stats = Stats()
        self.outcomes = Outcomes(model, clock, self.stats)

    # -- schedule -----------------------------------------------------------------------

    def schedule(self, projects: int) -> list[datetime]:
        """Start times of the projects, spread over the window before ``start``."""
        rng = random.Random(f"autoforge-sim:{self.m.seed}:schedule")
        span = (self.m.window_days - 2) * 86400
        offsets = sorted(rng.uniform(0, span) for _ in range(projects))
        first = self.m.start - timedelta(days=self.m.window_days)
        return [first + timedelta(seconds=round(o)) for o in offsets]

    def run(self, projects: int, progress: Callable[[int, int], None] | None = None) -> Stats:
        for index, created in enumerate(self.schedule(projects)):
            self.project(index, created)
            if progress is not None:
                progress(index + 1, projects)
        return self.stats

    # -- one project --------------------------------------------------------------------

    def project(self, index: int, created: datetime) -> None:
        m = self.m
        rng = random.Random(f"autoforge-sim:{m.seed}:project:{index}")
        frac = (created - (m.start - timedelta(days=m.window_days))).total_seconds() / (
            m.window_days * 86400)
        active = {i: r.weight for i, r in enumerate(RECIPES) if r.active[0] <= frac < r.active[1]}
        recipe: Recipe = RECIPES[pick(rng, active or {0: 1.0})]
        pj = Project(
            index=index, id=f"sim-{index + 1:05d}", rng=rng, recipe=recipe,
            platform=pick(rng, recipe.platforms), domain=pick(rng, DOMAINS),
            team_size=pick(rng, TEAM_SIZES), autonomy=pick(rng, AUTONOMY_LEVELS), frac=frac,
        )
        self.clock.now = created
        cancel_at = rng.randrange(1, len(recipe.stages)) if rng.random() < m.cancel_rate else -1
        status = "done"
        with self.c.project(
            project_id=pj.id, recipe=recipe.name, created_at=created,
            client_domain=pj.domain, team_size=pj.team_size,
            autonomy_level_used=pj.autonomy, platform=pj.platform,
        ) as p:
            for position, stage_id in enumerate(recipe.stages):
                if position == cancel_at:
                    status = "cancelled"
                    break
                self.clock.advance(rng.lognormvariate(math.log(1500), 0.6) * (
                    1.6 if pj.autonomy == 0 else 1.0))
                if not self.stage_with_rerun(p, pj, STAGES[stage_id]):
                    status = "blocked"
                    break
            self.outcomes.complete(p, pj, status)

    def stage_with_rerun(self, p: ProjectRun, pj: Project, stage: Stage) -> bool:
        """Run a stage; after an unresolved escalation the project is blocked, or the
        stage runs once more. Returns False if the project is blocked."""
        ok = self.stage(p, pj, stage, rerun=False)
        if not ok and pj.rng.random() >= self.m.block_on_unresolved:
            self.clock.advance(pj.rng.uniform(1800, 7200))
            ok = self.stage(p, pj, stage, rerun=True)
        self.outcomes.after_stage(p, pj, stage)
        return ok

    def pick_version(self, role: str, pj: Project) -> PromptVersion:
        versions = VERSIONS_BY_ROLE[role]
        current = max(i for i, v in enumerate(versions) if v.rollout <= pj.frac)
        if current and pj.frac < versions[current].rollout + self.m.ab_window:
            if pj.rng.random() < 0.5:
                current -= 1
        return versions[current]

    def stage(self, p: ProjectRun, pj: Project, stage: Stage, *, rerun: bool) -> bool:
        m, rng, role = self.m, pj.rng, stage.role
        version = self.pick_version(role, pj)
        rates = m.cause_rates[version.id]
        defect = False
        if not rerun and pj.prev_role is not None and pj.prev_role != role:
            rate = m.handoff_defect.get((pj.prev_role, role), 0.0)
            defect = rng.random() < min(0.95, rate * (1.5 if pj.prev_troubled else 1.0))
        mult = pj.recipe.rate_factor * (m.defect_multiplier if defect else 1.0) * (
            m.rerun_factor if rerun else 1.0)
        plans: list[tuple[Gate, list[tuple[Cause, float]], float]] = []
        p_all_first = 1.0
        for gate in GATES_BY_STAGE[stage.id]:
            causes = [(c, rates[c.id] * mult) for c in gate.causes
                      if c.platform in (None, pj.platform)]
            p_first = min(0.95, sum(r for _, r in causes))
            plans.append((gate, causes, p_first))
            p_all_first *= 1 - p_first
        # Noise shrinks near 0 and 100 so that clipping does not bias calibrated roles.
        spread = m.confidence_noise * 2 * math.sqrt(p_all_first * (1 - p_all_first))
        stated = 100 * p_all_first + m.calibration_bias.get(role, 0.0)
        stated += rng.gauss(0, max(0.5, spread))
        family = pj.recipe.family
        fields: dict[str, Any] = {
            "agent_model": AGENT_MODELS[role], "prompt_version": version.id,
            "prompt_template": self.templates[version.id],
            "system_context": {
                "prior_decisions": pj.decisions[-4:],
                "constraints": DOMAIN_CONSTRAINTS[pj.domain] + [f"Platform: {pj.platform}"],
                "acceptance_criteria": texts.STAGE_CRITERIA[stage.id],
            },
            "model_temperature": TEMPERATURES[role],
            "confidence": round(min(99.0, max(1.0, stated)), 1),
        }
        troubled = resolved_all = False
        with p.stage(stage_id=stage.id, agent_role=role, **fields) as s:
            if defect:
                self.clock.advance(rng.uniform(120, 900))
                self.feedback(s, pj, stage)
            minutes = stage.minutes * pj.recipe.duration_factor * (1.15 - 0.02 * min(
                pj.team_size, 8))
            self.clock.advance(60 * rng.lognormvariate(math.log(minutes), 0.35))
            self.usage(s, pj, stage, version, 1.0)
            resolved_all = True
            for gate, causes, p_first in plans:
                resolved, eventful = self.check_gate(p, s, pj, gate, causes, p_first, version)
                troubled = troubled or eventful
                if not resolved:  # an unresolved escalation stops the stage
                    resolved_all = False
                    break
            if resolved_all:
                for decision in DECISIONS:
                    if decision.stage == stage.id and rng.random() < m.ask_probability[
                            pj.autonomy]:
                        self.approval(p, pj, decision, version)
            self.clock.advance(rng.uniform(60, 600))
            extra: dict[str, Any] = {
                "output_raw": fill(rng.choice(texts.OUTPUTS[stage.id]), rng, family)}
            if stage.id == "engineering":
                extra["lines_of_code"] = int(rng.lognormvariate(
                    math.log(LOC_MEDIAN[family] * (0.7 + 0.08 * pj.team_size)), 0.3))
            extra["total_cost"] = round(s.fields.get("total_cost") or 0.0, 6)
            s.update(**extra)
        pj.prev_role, pj.prev_troubled = role, troubled
        return resolved_all

    def usage(self, s: StageRun, pj: Project, stage: Stage, version: PromptVersion,
              share: float) -> None:
        mean_in, mean_out = TOKEN_MEANS[stage.role]
        factor = self.m.token_factor[version.id] * stage.token_scale * share
        tokens_in = max(50, int(pj.rng.gauss(mean_in * factor, 0.12 * mean_in * factor)))
        tokens_out = max(20, int(pj.rng.gauss(mean_out * factor, 0.15 * mean_out * factor)))
        price_in, price_out = MODEL_PRICES[AGENT_MODELS[stage.role]]
        cost = round((tokens_in * price_in + tokens_out * price_out) / 1e6, 6)
        s.add_usage(input_tokens=tokens_in, output_tokens=tokens_out, total_cost=cost)

    def check_gate(self, p: ProjectRun, s: StageRun, pj: Project, gate: Gate,
                   causes: list[tuple[Cause, float]], p_first: float,
                   version: PromptVersion) -> tuple[bool, bool]:
        """Check one gate until it passes, is auto-fixed or escalated.

        Returns:
            (resolved, eventful): whether the gate was finally passed, fixed or overridden,
            and whether it needed anything beyond one passing check.
        """
        m, rng = self.m, pj.rng
        persistence = m.persistence(s.agent_role, pj.platform)
        last: Cause | None = None
        attempt = 1
        while True:
            self.clock.advance(rng.uniform(20, 150))
            self.stats.gate_checks += 1
            fail_p = p_first if attempt == 1 else p_first * persistence
            if not causes or rng.random() >= fail_p:
                passed = s.gate(gate_id=gate.id, validation_result="pass",
                                retry_attempt=attempt, validation_timestamp=self.clock.now)
                self.stats.truth_label("gate", passed.event_id, "excellent")
                return True, attempt > 1
            if last is None or rng.random() >= 0.6:
                last = rng.choices([c for c, _ in causes], weights=[r for _, r in causes])[0]
            reason = fill(rng.choice(last.phrasings), rng, pj.recipe.family)
            fields: dict[str, Any] = {"validation_reason": reason, "retry_attempt": attempt,
                                      "validation_timestamp": self.clock.now}
            fixed = False
            if rng.random() < m.auto_fix_apply:
                strategy = rng.choice(gate.strategies)
                fixed = rng.random() < m.strategy_success[strategy]
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
                pj.escalations += 1
                spent = rng.lognormvariate(math.log(5400), 0.7)
                self.clock.advance(spent)
                p.escalation(
                    reason=f"Gate {gate.id} failed {attempt} checks: {reason}",
                    stage=s.stage_id, agent_role=s.agent_role, gate_id=gate.id,
                    time_spent_escalated=round(spent, 1),
                    resolution=choice[1] if choice else texts.UNRESOLVED, resolved=resolved,
                    human_effort_required=(rng.randint(1, 3) if resolved else rng.randint(3, 5)),
                    avoidable=last.id in FIXABLE_CAUSES or rng.random() < 0.2,
                )
                return resolved, True
            self.clock.advance(60 * rng.uniform(4, 20))
            self.usage(s, pj, STAGES[s.stage_id], version, 0.35)
            attempt += 1

    def feedback(self, s: StageRun, pj: Project, stage: Stage) -> None:
        rng = pj.rng
        up = pj.prev_role or "product"
        severity = pick(rng, self.m.handoff_severity.get((up, stage.role), {"minor": 1.0}))
        pj.severities.append(severity)
        s.downstream_feedback(
            feedback=fill(rng.choice(texts.FEEDBACK[up]), rng, pj.recipe.family),
            severity=severity,
            rejected=severity in MAJOR_REWORK_SEVERITIES or rng.random() < 0.3,
        )

    def approval(self, p: ProjectRun, pj: Project, decision: Decision,
                 version: PromptVersion) -> None:
        rng = pj.rng
        pool = decision.options or tuple(f"Prioritise {f}" for f in FEATURES[pj.recipe.family])
        options = rng.sample(pool, rng.choice((3, 4)))
        rec = 0 if rng.random() < 0.6 else rng.randrange(len(options))
        chosen = rec
        self.clock.advance(60 * rng.lognormvariate(math.log(25), 0.8))
        if rng.random() < self.m.override_rates[(decision.type, decision.role)]:
            adjacent = [i for i in (rec - 1, rec + 1) if 0 <= i < len(options)]
            far = [i for i in range(len(options)) if i != rec and i not in adjacent]
            chosen = rng.choice(adjacent if rng.random() < self.m.adjacent_choice or not far
                                else far)
            reasoning = rng.choice(texts.OVERRIDE_REASONS[decision.type])
            confidence = rng.gauss(74, 12)
            pj.overrides += 1
        else:
            reasoning = rng.choice(texts.AGREE_REASONS)
            confidence = rng.gauss(82, 8)
        relation = (
            "correct" if chosen == rec else "reasonable" if abs(chosen - rec) == 1
            else "incorrect"
        )
        event = p.approval(
            decision_type=decision.type, agent_recommendation=options[rec],
            human_decision=options[chosen], human_reasoning=reasoning,
            agent_role=decision.role, stage=decision.stage, prompt_version=version.id,
            options_offered=options, human_confidence=round(min(100.0, max(0.0, confidence))),
        )
        self.stats.truth_label("decision", event.event_id, relation)
        pj.decisions.append(f"{decision.type}: {options[chosen]}")

    # -- signals and outcome ------------------------------------------------------------
