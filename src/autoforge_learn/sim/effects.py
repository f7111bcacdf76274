"""Per-project random effects: what makes checks of one project alike.

Each gate checks several artifacts per stage run (stories, endpoints, entities,
screens, build targets, test files, ...): ``checks`` per (project, gate), uniform in
the configured range, drawn once per project. The latent model's rates (cause rates x
recipe, upstream-defect and re-run multipliers) stay per gate run, as when a gate
checked a stage's output once: ``P``, the probability that a gate run (all its
artifacts) fails a first check, on average over projects. One artifact's first check
fails with the mean probability ``mu`` that gives that (:func:`check_mean`: about
``1 - (1 - P) ** (1 / n)``, a little more as the checks of a project fail together), so
that failure rates per gate run, retries per stage, escalations, first-pass rates and
tokens per stage stay about what they were with one check per gate run, and so do the
detectors' thresholds on them.

Every project draws a latent *difficulty* ``z ~ N(0, 1)``. For each gate the project
gets a failure *propensity* ``q = Phi(sqrt(w) z + sqrt(1 - w) e)`` (``e ~ N(0, 1)`` own
to the gate, ``w`` = :data:`DIFFICULTY_SHARE`), and every first check of that gate in
the project fails with probability ``p = Beta.ppf(q; mean=mu, icc=rho)``: the
``q``-quantile of the Beta distribution with mean ``mu`` and
``alpha + beta = (1 - rho) / rho``. The checks of one (project, gate) share that ``p``,
so that, whatever ``mu``:

* the mean failure probability over projects stays ``mu``, and
* the intra-project correlation of the failure indicator of first checks of one gate
  (the one-way ANOVA ICC over projects) is exactly ``rho``.

A failed artifact's re-check fails with ``p`` times the retry persistence, so hard
projects also retry more. Auto-fix success has the same construction with a
second project draw, the *fix skill* ``s ~ N(0, 1)``, independent of ``z``: were fixes
worse in hard projects, attempts (which happen where checks fail) would succeed less
often than the strategies' rates, the more so at gates that rarely fail (in a healthy
600-project world: 0.54 against rates of 0.67-0.73), and strategies of different gates
would differ for no reason. Token use is multiplied by
``exp(token_sd z - token_sd^2 / 2)`` (mean 1).

The defaults are close to what the 37 ChatDev runs in ``/work/shared/data/chatdev``
show (imported with ``autoforge import chatdev``, read with
``load_dataset(Workspace(root)).gates``; 31 projects have gate checks):

* ICC of the failure indicator, one-way ANOVA estimator with projects as groups:
  code_review 0.04 (142 checks; 96% fail, so near the ceiling), software_test 0.92
  (65 checks, mostly re-runs of one failing test: that is retry persistence here),
  both gates pooled after removing each gate's mean 0.17 (207 checks, 95% bootstrap
  interval over projects 0.07-0.27). Default ``icc``: 0.15.
* Checks per (project, gate): code_review 2-10, median 3, mean 4.6 (3: 20 projects,
  5: 4, 10: 6); software_test 1-10, median 1, mean 2.2; pooled mean 3.4. Default range
  2-5 first checks (mean 3.5) per stage run. Events per project go from 28 to 52 (gate
  checks 11 -> 35), which costs ~1.2-1.5x the CPU time of one check per gate run
  (1000 projects; 2-8: 66 events, ~1.4-1.6x).
* Between-project spread of per-project failure rates: code_review mean 0.97, sd 0.10;
  software_test mean 0.26, sd 0.44 (22 projects never fail, 7 always do); pooled mean
  0.82, sd 0.13. The failure rates of one project's two gates are not correlated
  (r = -0.05 over 30 projects, code_review being at the ceiling), so how much of the
  difficulty gates share is not measurable there: ``w`` = 0.5 is an assumption.
* Tokens per stage run: ICC of log tokens centred by stage 0.56 (548 runs, 33 projects),
  centred by stage x prompt version 0.50, between-project sd of log tokens 0.19-0.32.
  Default ``token_sd``: 0.2.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Default intra-project correlation of gate check outcomes (ChatDev pooled: 0.17).
DEFAULT_ICC = 0.15
#: Default range of artifacts a gate checks per stage run (ChatDev: 1-10, mean 3.4).
DEFAULT_CHECKS_PER_GATE = (2, 5)
#: Default between-project sd of log token use (ChatDev: 0.19-0.32).
DEFAULT_TOKEN_SD = 0.2
#: Share of a gate's propensity (on the normal scale) that is the project's difficulty.
DIFFICULTY_SHARE = 0.5
#: The ChatDev figures behind the defaults (how they were measured: module docstring).
CHATDEV_FIGURES: dict[str, object] = {
    "source": "37 ChatDev runs (OpenBMB/ChatDev WareHouse), 31 with gate checks",
    "icc_failure": {"code_review": 0.04, "software_test": 0.92,
                    "both_gates_gate_centred": 0.17, "both_gates_95ci": [0.07, 0.27]},
    "checks_per_project_gate": {
        "code_review": {"min": 2, "median": 3, "mean": 4.6, "max": 10},
        "software_test": {"min": 1, "median": 1, "mean": 2.2, "max": 10},
        "both_gates_mean": 3.4},
    "project_failure_rate": {"code_review": {"mean": 0.97, "sd": 0.10},
                             "software_test": {"mean": 0.26, "sd": 0.44},
                             "both_gates": {"mean": 0.82, "sd": 0.13},
                             "correlation_between_gates": -0.05},
    "log_tokens_per_stage_run": {"icc_stage_centred": 0.56,
                                 "icc_stage_version_centred": 0.50,
                                 "between_project_sd": [0.19, 0.32]},
}
#: Highest ``icc`` accepted: above it the Beta degenerates into two points.
MAX_ICC = 0.9


def check_options(icc: float, checks_per_gate: tuple[int, int], token_sd: float) -> None:
    """Raise ValueError unless the random-effect options are usable."""
    if not 0.0 <= icc <= MAX_ICC:
        raise ValueError(f"icc must be between 0 and {MAX_ICC}, got {icc}")
    low, high = checks_per_gate
    if not 1 <= low <= high <= 50:
        raise ValueError(f"checks per gate must satisfy 1 <= min <= max <= 50, got {low}-{high}")
    if not 0.0 <= token_sd <= 2.0:
        raise ValueError(f"token_sd must be between 0 and 2, got {token_sd}")


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


_BETAINCINV: list[Callable[..., Any]] = []


def _beta_ppf(q: float, mean: float, icc: float) -> float:
    if not _BETAINCINV:  # scipy loads on first use
        from scipy.special import betaincinv

        _BETAINCINV.append(betaincinv)
    size = (1.0 - icc) / icc
    return float(_BETAINCINV[0](mean * size, (1.0 - mean) * size, q))


def beta_quantile(q: float, mean: float, icc: float) -> float:
    """The ``q``-quantile of the Beta distribution with this mean and intra-class
    correlation ``icc`` (``alpha + beta = (1 - icc) / icc``); ``mean`` if ``icc`` is 0."""
    if icc <= 0.0 or mean <= 0.0 or mean >= 1.0:
        return mean
    return min(1.0, max(0.0, _beta_ppf(q, mean, icc)))


def _beta_survival(mean: float, icc: float, checks: int) -> float:
    """E[(1 - p) ** checks] for p ~ Beta with this mean and intra-class correlation."""
    if icc <= 0.0:
        return (1.0 - mean) ** checks
    size = (1.0 - icc) / icc
    a, b = mean * size, (1.0 - mean) * size
    out = 1.0
    for j in range(checks):
        out *= (b + j) / (a + b + j)
    return out


@lru_cache(maxsize=4096)
def check_mean(run_mean: float, icc: float, checks_per_gate: tuple[int, int]) -> float:
    """One artifact's mean first-check failure probability such that a gate run fails a
    first check with probability ``run_mean``, averaged over projects (their Beta draws
    and their number of checks, uniform in ``checks_per_gate``).

    Without project effects and with ``n`` checks this is ``1 - (1 - run_mean) ** (1/n)``;
    with them checks of one project fail together, so an artifact must fail a little
    more often for gate runs to fail as often.
    """
    if run_mean <= 0.0:
        return 0.0
    counts = range(checks_per_gate[0], checks_per_gate[1] + 1)

    def run_failure(mean: float) -> float:
        return 1.0 - sum(_beta_survival(mean, icc, n) for n in counts) / len(counts)

    target = min(run_mean, 0.999)
    low, high = 0.0, 1.0
    for _ in range(50):  # bisection: run_failure increases with mean
        mid = (low + high) / 2.0
        if run_failure(mid) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


@dataclass
class GateEffect:
    """One project's draw for one gate."""

    propensity: float  # quantile of the failure probability, 0-1 (high: fails more)
    fix_propensity: float  # quantile of auto-fix success, 0-1 (high: fixes work better)
    checks: int  # artifacts checked per stage run


@dataclass
class ProjectEffects:
    """One project's random effects."""

    difficulty: float
    fix_skill: float
    token_factor: float
    icc: float
    gates: dict[str, GateEffect] = field(default_factory=dict)

    def failure_probability(self, gate_id: str, mean: float) -> float:
        """The project's probability that a first check of ``gate_id`` fails, when the
        mean over projects is ``mean``."""
        return beta_quantile(self.gates[gate_id].propensity, mean, self.icc)

    def check_probability(self, gate_id: str, run_mean: float,
                          checks_per_gate: tuple[int, int]) -> float:
        """The project's probability that an artifact's first check at ``gate_id`` fails.

        ``run_mean`` is the latent model's probability that a gate run fails a first
        check (over projects); one artifact's mean is :func:`check_mean`, the project's
        own probability its Beta quantile.
        """
        return self.failure_probability(gate_id, check_mean(run_mean, self.icc,
                                                             checks_per_gate))

    def fix_probability(self, gate_id: str, mean: float) -> float:
        """The project's probability that an auto-fix at ``gate_id`` succeeds."""
        return beta_quantile(self.gates[gate_id].fix_propensity, mean, self.icc)

    def to_dict(self, project_id: str) -> dict[str, object]:
        """The truth line of this project."""
        return {
            "project_id": project_id,
            "difficulty": round(self.difficulty, 4),
            "fix_skill": round(self.fix_skill, 4),
            "token_factor": round(self.token_factor, 4),
            "gates": {gid: {"propensity": round(g.propensity, 4),
                            "fix_propensity": round(g.fix_propensity, 4), "checks": g.checks}
                      for gid, g in self.gates.items()},
        }


def draw_effects(rng: random.Random, gate_ids: tuple[str, ...], *, icc: float,
                 checks_per_gate: tuple[int, int], token_sd: float,
                 share: float = DIFFICULTY_SHARE) -> ProjectEffects:
    """Draw one project's difficulty, fix skill, token factor and per-gate propensities
    and counts."""
    z, skill = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
    own, weight = math.sqrt(1.0 - share), math.sqrt(share)
    low, high = checks_per_gate
    gates = {}
    for gid in gate_ids:
        fail = _phi(weight * z + own * rng.gauss(0.0, 1.0))
        fix = _phi(weight * skill + own * rng.gauss(0.0, 1.0))
        gates[gid] = GateEffect(fail, fix, rng.randint(low, high))
    factor = math.exp(token_sd * z - token_sd * token_sd / 2.0)
    return ProjectEffects(difficulty=z, fix_skill=skill, token_factor=factor, icc=icc,
                          gates=gates)
