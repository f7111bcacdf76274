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
from pathlib import Path
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
    GATES,
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
from autoforge_learn.sim.effects import draw_effects
from autoforge_learn.sim.gates import GateChecks
from autoforge_learn.sim.model import LatentModel
from autoforge_learn.sim.outcomes import Outcomes
from autoforge_learn.sim.prompts import MAIN_VERSIONS_BY_ROLE, TWINS, PromptVersion
from autoforge_learn.sim.state import Project, SimClock, Stats, pick
from autoforge_learn.sim.texts import FEATURES, fill

#: Tokens of fixing one failed artifact before its re-check, relative to a full run of
#: the stage. With one check per gate run a re-check cost 0.35; now a failed gate run
#: has ~1.4 failed artifacts: at 0.15 the token excess of the versions that fail more
#: stays about what it was, below the 20% threshold (1000 projects, token_sd 0:
#: architect.v1.0 +10.5% over architect.v1.1, +12.2% before; qa.v1.0 +8.7%, +7.0%).
RETRY_TOKEN_SHARE = 0.15
LOC_MEDIAN = {"web_app": 4200, "gis_investment": 5200, "mobile_auth": 3100, "api_service": 2600}


class CountingCollector(Collector):
    """A collector that also counts what it records, by kind and month."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kinds: Counter[Any] = Counter()
        self._projects: set[str] = set()
        self.months: set[str] = set()

    @property
    def kinds(self) -> Counter[str]:
        """Events recorded per kind."""
        return Counter({str(kind): n for kind, n in self._kinds.items()})

    def record(self, event: EventBase) -> EventBase:
        self._kinds[event.kind] += 1
        if event.project_id not in self._projects:  # a project's files share one month
            self._projects.add(event.project_id)
            self.months.add(self._month_for(event.project_id, event.timestamp))
        return super().record(event)


def seeded_collector(root: Path, clock: SimClock, key: str) -> CountingCollector:
    """A counting collector on the simulated clock whose event ids are time-ordered like
    real ones and drawn from a generator seeded by ``key``: the same key, the same ids."""
    ids = random.Random(key)

    def new_id() -> str:
        return f"{int(clock.now.timestamp() * 1000):012x}{ids.getrandbits(80):020x}"

    return CountingCollector(root, redact=False, survey_sample_rate=0.8, clock=clock,
                             id_factory=new_id)


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
        self.gates = GateChecks(model, clock, self.stats, self.retry_usage)
        self.gate_ids = tuple(GATES)
        #: Called as each project starts; the versions it returns (by role) replace the
        #: world's schedule for that project (an experiment's assignment).
        self.assign_at_start: Callable[[Project], dict[str, PromptVersion]] | None = None

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

    def project(self, index: int, created: datetime, *, frac: float | None = None) -> None:
        """Run one project started at ``created``; ``frac`` (0-1) is the point of the
        simulated window whose recipes and prompt versions it uses (default: where
        ``created`` falls)."""
        m = self.m
        rng = random.Random(f"autoforge-sim:{m.seed}:project:{index}")
        if frac is None:
            frac = (created - (m.start - timedelta(days=m.window_days))).total_seconds() / (
                m.window_days * 86400)
        active = {i: r.weight for i, r in enumerate(RECIPES) if r.active[0] <= frac < r.active[1]}
        recipe: Recipe = RECIPES[pick(rng, active or {0: 1.0})]
        # The random effects have their own stream: the same project gets the same
        # difficulty whatever the other options.
        effects = draw_effects(random.Random(f"autoforge-sim:{m.seed}:effects:{index}"),
                               self.gate_ids, icc=m.icc, checks_per_gate=m.checks_per_gate,
                               token_sd=m.token_sd, share=m.difficulty_share)
        pj = Project(
            index=index, id=f"sim-{index + 1:05d}", rng=rng, recipe=recipe,
            platform=pick(rng, recipe.platforms), domain=pick(rng, DOMAINS),
            team_size=pick(rng, TEAM_SIZES), autonomy=pick(rng, AUTONOMY_LEVELS), frac=frac,
            effects=effects,
        )
        self.stats.truth_projects.append(effects.to_dict(pj.id))
        self.clock.now = created
        cancel_at = rng.randrange(1, len(recipe.stages)) if rng.random() < m.cancel_rate else -1
        status = "done"
        with self.c.project(
            project_id=pj.id, recipe=recipe.name, created_at=created,
            client_domain=pj.domain, team_size=pj.team_size,
            autonomy_level_used=pj.autonomy, platform=pj.platform,
        ) as p:
            if self.assign_at_start is not None:
                pj.versions.update(self.assign_at_start(pj))
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
        """The version the project runs the role with, the same in all its stages: the
        role's current version; for a while after a rollout, the previous one half of
        the time; a version with a twin, the twin half of the time."""
        version = pj.versions.get(role)
        if version is None:
            version = pj.versions[role] = self._draw_version(role, pj)
        return version

    def _draw_version(self, role: str, pj: Project) -> PromptVersion:
        versions = MAIN_VERSIONS_BY_ROLE[role]
        current = max(i for i, v in enumerate(versions) if v.rollout <= pj.frac)
        if current and pj.frac < versions[current].rollout + self.m.ab_window:
            if pj.rng.random() < 0.5:
                current -= 1
        version = versions[current]
        twin = TWINS.get(version.id)
        if twin is not None and pj.rng.random() < 0.5:
            return twin
        return version

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
        p_all_first = p_typical = 1.0
        for gate in GATES_BY_STAGE[stage.id]:
            causes = [(c, rates[c.id] * mult) for c in gate.causes
                      if c.platform in (None, pj.platform)]
            # The gate run's mean over projects, then this project's own probabilities.
            run_mean = min(0.95, sum(r for _, r in causes))
            fail_p = pj.effects.check_probability(gate.id, run_mean, m.checks_per_gate)
            plans.append((gate, causes, fail_p))
            p_all_first *= (1 - fail_p) ** pj.effects.gates[gate.id].checks
            p_typical *= 1 - run_mean
        # A calibrated role knows how hard its project is; an overconfident one states the
        # typical project's chance plus its bias (knowing the project's, it would have
        # no room above most projects' near-certain success: 99 caps what it states).
        bias = m.calibration_bias.get(role, 0.0)
        base = p_typical if bias else p_all_first
        # Noise shrinks near 0 and 100 so that clipping does not bias calibrated roles.
        spread = m.confidence_noise * 2 * math.sqrt(base * (1 - base))
        stated = 100 * base + bias + rng.gauss(0, max(0.5, spread))
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
            self.usage(s, pj, stage, 1.0)
            resolved_all = True
            for gate, causes, fail_p in plans:
                resolved, eventful = self.gates.check_gate(p, s, pj, gate, causes, fail_p)
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

    def usage(self, s: StageRun, pj: Project, stage: Stage, share: float) -> None:
        """Add one LLM call's tokens and cost to the stage run (``share`` of a full run)."""
        mean_in, mean_out = TOKEN_MEANS[stage.role]
        factor = (self.m.token_factor[s.fields["prompt_version"]] * stage.token_scale * share
                  * pj.effects.token_factor)
        tokens_in = max(50, int(pj.rng.gauss(mean_in * factor, 0.12 * mean_in * factor)))
        tokens_out = max(20, int(pj.rng.gauss(mean_out * factor, 0.15 * mean_out * factor)))
        price_in, price_out = MODEL_PRICES[AGENT_MODELS[stage.role]]
        cost = round((tokens_in * price_in + tokens_out * price_out) / 1e6, 6)
        s.add_usage(input_tokens=tokens_in, output_tokens=tokens_out, total_cost=cost)

    def retry_usage(self, s: StageRun, pj: Project) -> None:
        """The tokens of fixing one artifact before its re-check."""
        self.usage(s, pj, STAGES[s.stage_id], RETRY_TOKEN_SHARE)

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
