"""The latent parameters of one simulated world, drawn from a seed.

With problems injected, the world has the structure the eight learning patterns look
for (root causes behind frequent gate failures, a retry hotspot, one bad handoff pair,
override hotspots, an overconfident role, token-inefficient prompt versions, a clearly
best and worst auto-fix strategy); the seed jitters the numbers and picks which handoff
pair, which decisions and which role carry the problem. Without problems every rate is
low and every role behaves alike. Either way every world has per-project random effects
(:mod:`autoforge_learn.sim.effects`) and known-null contrasts: twin prompt versions and
twin auto-fix strategies that differ in their id only (:func:`null_contrasts`).

**Sizes of the injected problems.** Each is a problem a team would act on, and large
enough that the detectors' project-level tests (each claim over projects, the run's
claims adjusted together with Benjamini-Hochberg) find it in at least 90% of
200-project worlds (``python -m tests.patterns.targets injected 200 ...``; smaller
effects drown in the per-project random effects of :mod:`.effects`):

* root causes a prompt version fixes fail 30-40% of that version's gate runs (as in
  "api_contract_present fails 40% for missing error definitions"), 3-6% once
  fixed (:data:`~autoforge_learn.sim.catalog.GATES`); the mobile-only causes 40-55% of
  mobile runs;
* retry hotspot: qa on mobile re-checks fail 1.6x as often as first checks (other roles
  0.45x), about 2 retries per stage run against the default threshold of 1;
* override hotspots: 68-80% of the decisions overridden (others 6-25%; threshold 50%);
* overconfident role: states 26-32 points more than its typical project's chance of
  passing first time (threshold 10); drawn among roles that succeed 45-70% of the time
  (architect, qa), where the bias fits below the 99 it can state;
* token-inefficient versions use 1.6-1.7x the tokens of the role's first version
  (:mod:`.prompts`; threshold +20%);
* auto-fix: the best strategy succeeds 91-95% of the time, the worst 11-19% (others
  51-66%), and agents try an auto-fix on 75% of failed checks, so that each strategy
  has enough attempts to rank.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from autoforge_learn.sim.catalog import (
    BEST_STRATEGY,
    CAUSES,
    DECISIONS,
    GATES,
    OVERCONFIDENT_CANDIDATES,
    OVERRIDE_HOTSPOT_CANDIDATES,
    RECIPES,
    ROLES,
    STAGES,
    STRATEGY_SUCCESS,
    STRATEGY_TWINS,
    WORST_HANDOFF_CANDIDATES,
    WORST_STRATEGY,
)
from autoforge_learn.sim.effects import (
    DEFAULT_CHECKS_PER_GATE,
    DEFAULT_ICC,
    DEFAULT_TOKEN_SD,
    DIFFICULTY_SHARE,
    check_options,
)
from autoforge_learn.sim.prompts import MAIN_VERSIONS_BY_ROLE, TWINS, VERSIONS

#: Retry hotspot injected: (role, platform) whose gate failures keep recurring.
RETRY_HOTSPOT = ("qa", "mobile")
SEVERITY_BAD = {"critical": 0.15, "major": 0.55, "minor": 0.30}
SEVERITY_USUAL = {"critical": 0.03, "major": 0.22, "minor": 0.75}
SEVERITY_HEALTHY = {"critical": 0.0, "major": 0.1, "minor": 0.9}
#: The role that runs each gate's stage.
STAGE_ROLE = {gid: STAGES[g.stage].role for gid, g in GATES.items()}


def handoff_pairs() -> list[tuple[str, str]]:
    """Every (upstream role, downstream role) pair some recipe hands over."""
    pairs: list[tuple[str, str]] = []
    for recipe in RECIPES:
        roles = [STAGES[s].role for s in recipe.stages]
        for up, down in zip(roles, roles[1:], strict=False):
            if up != down and (up, down) not in pairs:
                pairs.append((up, down))
    return pairs


@dataclass
class LatentModel:
    """Every latent parameter the engine draws from; also what the truth file records."""

    seed: int
    inject: bool
    start: datetime
    window_days: float = 182.0
    max_retries: int = 3
    cause_rates: dict[str, dict[str, float]] = field(default_factory=dict)  # version -> cause
    token_factor: dict[str, float] = field(default_factory=dict)
    strategy_success: dict[str, float] = field(default_factory=dict)
    auto_fix_apply: float = 0.75
    retry_persistence: float = 0.45
    hotspot_persistence: dict[tuple[str, str], float] = field(default_factory=dict)
    handoff_defect: dict[tuple[str, str], float] = field(default_factory=dict)
    handoff_severity: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    defect_multiplier: float = 1.8
    rerun_factor: float = 0.5
    ab_window: float = 0.08  # share of the window a new prompt version shares 50/50
    override_rates: dict[tuple[str, str], float] = field(default_factory=dict)
    adjacent_choice: float = 0.6
    ask_probability: tuple[float, ...] = (0.95, 0.8, 0.6, 0.4)  # by autonomy level
    calibration_bias: dict[str, float] = field(default_factory=dict)
    confidence_noise: float = 6.0
    escalation_resolve: float = 0.7
    block_on_unresolved: float = 0.4  # else the stage is re-run once
    cancel_rate: float = 0.03
    security_critical: dict[str, float] = field(default_factory=dict)  # by security version
    security_major: dict[str, float] = field(default_factory=dict)
    security_missed: dict[str, float] = field(default_factory=dict)
    coverage_mean: dict[str, float] = field(default_factory=dict)  # by qa version
    mobile_coverage_penalty: float = 9.0
    latency_median_ms: float = 170.0
    page_load_median_ms: float = 1400.0
    slo_latency_ms: float = 300.0
    slo_page_load_ms: float = 2500.0
    problems: list[dict[str, object]] = field(default_factory=list)
    # Per-project random effects (autoforge_learn.sim.effects).
    icc: float = DEFAULT_ICC
    checks_per_gate: tuple[int, int] = DEFAULT_CHECKS_PER_GATE
    token_sd: float = DEFAULT_TOKEN_SD
    difficulty_share: float = DIFFICULTY_SHARE
    # Which candidates carry the injected problems (set when problems are injected).
    worst_handoff: tuple[str, str] = ("", "")
    override_hotspots: list[tuple[str, str]] = field(default_factory=list)
    overconfident: str = ""

    def persistence(self, role: str, platform: str) -> float:
        """Failure probability of a re-check relative to the first check."""
        return self.hotspot_persistence.get((role, platform), self.retry_persistence)


def _jitter(rng: random.Random, value: float, spread: float = 0.12) -> float:
    return round(value * rng.uniform(1 - spread, 1 + spread), 4)


def build_model(
    seed: int,
    *,
    inject: bool,
    start: datetime,
    max_retries: int = 3,
    icc: float = DEFAULT_ICC,
    checks_per_gate: tuple[int, int] = DEFAULT_CHECKS_PER_GATE,
    token_sd: float = DEFAULT_TOKEN_SD,
) -> LatentModel:
    """Draw the latent parameters of a world from ``seed``.

    Args:
        seed: The simulation seed.
        inject: Whether to inject the problems the analyses should find.
        start: The end of the simulated window.
        max_retries: Gate checks before an escalation.
        icc: Intra-project correlation of gate check outcomes
            (:mod:`autoforge_learn.sim.effects`).
        checks_per_gate: Least and most artifacts a gate checks per stage run.
        token_sd: Between-project sd of log token use.

    Returns:
        The model, with its list of injected problems (empty when ``inject`` is False).
    """
    check_options(icc, checks_per_gate, token_sd)
    rng = random.Random(f"autoforge-sim:{seed}:model")
    m = LatentModel(seed=seed, inject=inject, start=start, max_retries=max_retries, icc=icc,
                    checks_per_gate=checks_per_gate, token_sd=token_sd)
    if inject:
        _draw_injected(rng, m)
    else:
        _draw_healthy(rng, m)
    _copy_twins(m)
    if inject:
        m.problems = _problems(m, m.worst_handoff, m.override_hotspots, m.overconfident)
    return m


def _draw_injected(rng: random.Random, m: LatentModel) -> None:
    base = {cid: _jitter(rng, c.base_rate) for cid, c in CAUSES.items()}
    for role, versions in MAIN_VERSIONS_BY_ROLE.items():
        rates = {cid: r for cid, r in base.items() if STAGE_ROLE[CAUSES[cid].gate_id] == role}
        for v in versions:
            rates = {**rates, **{cid: _jitter(rng, r) for cid, r in v.fixes.items()}}
            m.cause_rates[v.id] = dict(rates)
            m.token_factor[v.id] = round(v.token_factor * rng.uniform(0.97, 1.03), 4)
    m.strategy_success = {
        s: round(min(0.95, max(0.05, p + rng.uniform(-0.04, 0.04))), 4)
        for s, p in STRATEGY_SUCCESS.items()
    }
    m.hotspot_persistence = {RETRY_HOTSPOT: 1.6}
    worst = rng.choice(WORST_HANDOFF_CANDIDATES)
    for pair in handoff_pairs():
        bad = pair == worst
        m.handoff_defect[pair] = round(rng.uniform(0.35, 0.45) if bad
                                       else rng.uniform(0.03, 0.08), 4)
        m.handoff_severity[pair] = SEVERITY_BAD if bad else SEVERITY_USUAL
    hotspots = rng.sample(OVERRIDE_HOTSPOT_CANDIDATES, 2)
    for d in DECISIONS:
        key = (d.type, d.role)
        m.override_rates[key] = round(rng.uniform(0.68, 0.8) if key in hotspots
                                      else rng.uniform(0.06, 0.25), 4)
    overconfident = rng.choice(OVERCONFIDENT_CANDIDATES)
    m.calibration_bias = {r: 0.0 for r in ROLES}
    m.calibration_bias[overconfident] = round(rng.uniform(26, 32), 2)
    m.security_critical = {"security.v1.0": 0.12, "security.v1.1": 0.06}
    m.security_major = {"security.v1.0": 0.4, "security.v1.1": 0.22}
    m.security_missed = {"security.v1.0": 0.3, "security.v1.1": 0.12}
    m.coverage_mean = {"qa.v1.0": 80.0, "qa.v1.1": 85.0}
    m.worst_handoff, m.override_hotspots, m.overconfident = worst, hotspots, overconfident


def _draw_healthy(rng: random.Random, m: LatentModel) -> None:
    for role, versions in MAIN_VERSIONS_BY_ROLE.items():
        rates = {cid: round(rng.uniform(0.004, 0.011), 4) for cid, c in CAUSES.items()
                 if STAGE_ROLE[c.gate_id] == role}
        for v in versions:
            m.cause_rates[v.id] = dict(rates)
            m.token_factor[v.id] = round(rng.uniform(0.97, 1.04), 4)
    m.strategy_success = {s: round(rng.uniform(0.67, 0.73), 4) for s in STRATEGY_SUCCESS}
    m.retry_persistence = 0.3
    for pair in handoff_pairs():
        m.handoff_defect[pair] = round(rng.uniform(0.01, 0.03), 4)
        m.handoff_severity[pair] = SEVERITY_HEALTHY
    m.defect_multiplier = 1.2
    m.override_rates = {(d.type, d.role): round(rng.uniform(0.04, 0.18), 4)
                        for d in DECISIONS}
    m.calibration_bias = {r: 0.0 for r in ROLES}
    m.confidence_noise = 5.0
    m.escalation_resolve = 0.85
    m.cancel_rate = 0.01
    main = [v.id for v in MAIN_VERSIONS_BY_ROLE["security"]]
    m.security_critical = {v: 0.02 for v in main}
    m.security_major = {v: 0.06 for v in main}
    m.security_missed = {v: 0.05 for v in main}
    m.coverage_mean = {v.id: 88.0 for v in MAIN_VERSIONS_BY_ROLE["qa"]}
    m.mobile_coverage_penalty = 2.0
    m.latency_median_ms = 140.0
    m.page_load_median_ms = 1100.0


def _copy_twins(m: LatentModel) -> None:
    """Give every twin version and twin strategy its original's parameters, exactly."""
    for original, twin in TWINS.items():
        m.cause_rates[twin.id] = dict(m.cause_rates[original])
        for table in (m.token_factor, m.security_critical, m.security_major,
                      m.security_missed, m.coverage_mean):
            if original in table:
                table[twin.id] = table[original]
    for twin_strategy, original in STRATEGY_TWINS.items():
        m.strategy_success[twin_strategy] = m.strategy_success[original]


def null_contrasts() -> list[dict[str, object]]:
    """The known-null contrasts every world has: pairs that differ in id only."""
    out: list[dict[str, object]] = []
    for original, twin in TWINS.items():
        out.append({
            "id": f"null:prompt_version:{original}~{twin.id}", "kind": "prompt_version",
            "role": twin.role, "a": original, "b": twin.id,
            "assignment": "from their rollout on, each project running the role gets one "
                          "of the two at random, 50/50",
            "identical": ["cause rates", "token factor", "security and coverage rates",
                          "rollout", "every other parameter (keyed by role, not version)"],
        })
    for twin_strategy, original in STRATEGY_TWINS.items():
        gates = [g for g, gate in GATES.items() if original in gate.strategies]
        out.append({
            "id": f"null:auto_fix_strategy:{original}~{twin_strategy}",
            "kind": "auto_fix_strategy", "gate_ids": gates, "a": original, "b": twin_strategy,
            "assignment": "each auto-fix at these gates picks one of the gate's strategies "
                          "at random, uniformly",
            "identical": ["success rate", "gates"],
        })
    return out


def _problems(
    m: LatentModel,
    worst: tuple[str, str],
    hotspots: list[tuple[str, str]],
    overconfident: str,
) -> list[dict[str, object]]:
    problems: list[dict[str, object]] = []
    by_id = {v.id: v for v in VERSIONS}
    for cid, cause in CAUSES.items():
        high = {vid: r[cid] for vid, r in m.cause_rates.items() if r.get(cid, 0) >= 0.1}
        if not high:
            continue
        fixed_by = [vid for vid, v in by_id.items() if cid in v.fixes]
        problems.append({
            "id": f"gate_root_cause:{cause.gate_id}:{cid}", "type": "gate_root_cause",
            "gate_id": cause.gate_id, "cause_id": cid, "platform": cause.platform,
            "prompt_versions": high, "fixed_by": fixed_by[0] if fixed_by else None,
        })
    role, platform = RETRY_HOTSPOT
    problems.append({
        "id": f"retry_hotspot:{role}:{platform}", "type": "retry_hotspot", "role": role,
        "platform": platform, "persistence": m.hotspot_persistence[RETRY_HOTSPOT],
        "causes": [c for c, cause in CAUSES.items() if cause.platform == platform],
    })
    problems.append({
        "id": f"handoff:{worst[0]}->{worst[1]}", "type": "bad_handoff", "upstream_role": worst[0],
        "downstream_role": worst[1], "defect_rate": m.handoff_defect[worst],
    })
    for dtype, drole in hotspots:
        problems.append({
            "id": f"override_hotspot:{dtype}:{drole}", "type": "override_hotspot",
            "decision_type": dtype, "agent_role": drole,
            "override_rate": m.override_rates[(dtype, drole)],
        })
    problems.append({
        "id": f"miscalibration:{overconfident}", "type": "miscalibration",
        "agent_role": overconfident, "direction": "overconfident",
        "bias_points": m.calibration_bias[overconfident],
    })
    for role_versions in MAIN_VERSIONS_BY_ROLE.values():
        for prev, v in zip(role_versions, role_versions[1:], strict=False):
            ratio = m.token_factor[v.id] / m.token_factor[prev.id]
            if ratio > 1.2:
                problems.append({
                    "id": f"token_inefficient:{v.id}", "type": "token_inefficient",
                    "prompt_version": v.id, "compared_to": prev.id,
                    "token_ratio": round(ratio, 4),
                })
    problems.append({"id": f"auto_fix_best:{BEST_STRATEGY}", "type": "auto_fix_best",
                     "strategy": BEST_STRATEGY, "success_rate": m.strategy_success[BEST_STRATEGY]})
    problems.append({"id": f"auto_fix_worst:{WORST_STRATEGY}", "type": "auto_fix_worst",
                     "strategy": WORST_STRATEGY,
                     "success_rate": m.strategy_success[WORST_STRATEGY]})
    return problems
