"""How often the experiments' tests are wrong, measured by simulation.

Run:  python bench/experiment_calibration.py [--runs 2000] [--icc 0.14] [--checks 50]

Projects are drawn as the simulator draws a gate's checks: each project has its own
pass rate (a beta distribution around the version's rate with intra-project correlation
``--icc``) and ``--checks`` checks. Reported, as JSON on stdout and in
``bench/results/experiment-calibration.json``:

* A/A false positives of the fixed-horizon test (5 vs 5 projects), and, for contrast, of
  a z-test over the checks as if they were independent;
* A/A false positives of the sequential test looked at after every project, up to 40
  projects an arm;
* power at 5 vs 5, 10 vs 10 and 20 vs 20 projects for each ``--effects`` (differences
  of the pass rate, the sizes of the simulator's prompt version effects), fixed and
  sequential, next to the analytic power of a two-sample t-test with the projects'
  standard deviation.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import orjson
from scipy import stats

from autoforge_learn.experiments.arms import ArmData, fixed_test, sequential_test
from autoforge_learn.stats.power import power_two_sample


def arm(rng: np.random.Generator, projects: int, rate: float, icc: float, checks: int) -> ArmData:
    a, b = rate * (1 - icc) / icc, (1 - rate) * (1 - icc) / icc
    passed = rng.binomial(checks, rng.beta(a, b, projects)).astype(float)
    return ArmData(tuple(map(str, range(projects))), passed, np.full(projects, float(checks)))


def naive_p(c: ArmData, t: ArmData) -> float:
    assert c.denominators is not None and t.denominators is not None
    pc, pt = c.numerators.sum() / c.denominators.sum(), t.numerators.sum() / t.denominators.sum()
    pooled = (c.numerators.sum() + t.numerators.sum()) / (
        c.denominators.sum() + t.denominators.sum()
    )
    se = math.sqrt(pooled * (1 - pooled) * (1 / c.denominators.sum() + 1 / t.denominators.sum()))
    return float(2 * stats.norm.sf(abs(pt - pc) / se)) if se > 0 else 1.0


def project_sd(rate: float, icc: float, checks: int) -> float:
    """The standard deviation of a project's pass rate: the spread of its own rate plus
    the binomial noise of its checks."""
    between = rate * (1 - rate) * icc
    within = rate * (1 - rate) * (1 - icc) / checks
    return math.sqrt(between + within)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--icc", type=float, default=0.14)
    parser.add_argument("--checks", type=int, default=50)
    parser.add_argument("--base", type=float, default=0.75)
    parser.add_argument("--effects", default="0.05,0.10,0.15")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    runs, icc, checks, base = args.runs, args.icc, args.checks, args.base
    out: dict[str, object] = {"runs": runs, "icc": icc, "checks": checks, "base_rate": base}

    fixed = naive = 0
    for _ in range(runs):
        c, t = arm(rng, 5, base, icc, checks), arm(rng, 5, base, icc, checks)
        test = fixed_test(c, t, log=False)
        fixed += test is not None and test.p_value < 0.05
        naive += naive_p(c, t) < 0.05
    out["aa_fixed_5v5"] = fixed / runs
    out["aa_check_level_z_5v5"] = naive / runs

    sequential_runs = max(200, runs // 2)
    rejected = 0
    for _ in range(sequential_runs):
        test = sequential_test(
            arm(rng, 40, base, icc, checks), arm(rng, 40, base, icc, checks), alpha=0.05
        )
        rejected += test is not None and test.p_value <= 0.05
    out["aa_sequential_every_look_to_40"] = rejected / sequential_runs
    out["sequential_runs"] = sequential_runs

    power = []
    for effect in (float(e) for e in args.effects.split(",")):
        sd = project_sd(base + effect / 2, icc, checks)
        for n in (5, 10, 20):
            hits = seq_hits = 0
            for _ in range(runs // 4):
                c, t = arm(rng, n, base, icc, checks), arm(rng, n, base + effect, icc, checks)
                test = fixed_test(c, t, log=False)
                hits += test is not None and test.p_value < 0.05
                seq = sequential_test(c, t, alpha=0.05)
                seq_hits += seq is not None and seq.p_value <= 0.05
            power.append(
                {
                    "effect": effect,
                    "projects_per_arm": n,
                    "power_fixed": hits / (runs // 4),
                    "power_sequential": seq_hits / (runs // 4),
                    "analytic_power": power_two_sample(effect / sd, n, n),
                }
            )
    out["power"] = power
    text = orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()
    print(text)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "experiment-calibration.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
