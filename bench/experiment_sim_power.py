"""Power and false positives of an A/B experiment run by the simulator itself.

Run:  python bench/experiment_sim_power.py [--runs 100] [--effects 0,0.5,0.8]

For each effect (the share of architect.v1.0's gate failure causes the candidate
removes; 0 is an A/A test) and each size (5, 10, 20 projects an arm), ``--runs``
experiments are run end to end: a 20-project simulated store, a candidate made from
architect.v1.0, ``ab start`` with a fresh salt, the projects simulated under the
experiment (assigned through the SDK), and the fixed-horizon analysis of
``gate_pass_rate``. Reported: the share of experiments with p < 0.05 (power; the false
positive rate at effect 0), the mean measured effect, and the analytic power of a
two-sample t-test at that effect and the projects' standard deviation. Written to
``bench/results/experiment-sim-power.json``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from statistics import mean, stdev

import orjson

from autoforge_learn.experiments.lifecycle import experiment_status, start_experiment
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.sim import simulate
from autoforge_learn.sim.experiment import simulate_experiment
from autoforge_learn.stats.power import power_two_sample
from autoforge_learn.workspace import Workspace


def one_run(base: Path, work: Path, k: int, per_arm: int, effect: float) -> tuple[float, float]:
    root = work / f"run-{k}" / ".autoforge"
    shutil.copytree(base, root)
    with Workspace(root) as ws:
        treatment = PromptRegistry(root).latest("architect").id
        e = start_experiment(
            ws,
            role="architect",
            control="architect.v1.0",
            treatment=treatment,
            salt=f"bench-salt-{k:06d}",
            split=50,
        )
    # the arms fill at random; run until both hold per_arm projects
    done = 0
    while True:
        simulate_experiment(
            root, e.id, projects=max(2, per_arm // 2), effect=effect, seed=10_000 * k + done
        )
        done += 1
        with Workspace(root) as ws:
            status = experiment_status(ws, e.id)
        if min(status.n_control, status.n_treatment) >= per_arm:
            break
    shutil.rmtree(root.parent)
    primary = status.primary
    return float(primary.p_value if primary.p_value is not None else 1.0), float(
        primary.effect or 0.0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--effects", default="0,0.5,0.8")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="af-sim-power-"))
    base = work / "base" / ".autoforge"
    simulate(base, projects=20, seed=11)
    text = work / "section.txt"
    text.write_text("Define every error code each endpoint returns.\n")
    PromptRegistry(base).new_version(
        "architect",
        sections={"error_codes": text.read_text()},
        changes=["error codes"],
        base="architect.v1.0",
    )
    rows = []
    for effect in (float(e) for e in args.effects.split(",")):
        for per_arm in (5, 10, 20):
            results = [one_run(base, work, k, per_arm, effect) for k in range(args.runs)]
            p_values = [p for p, _ in results]
            effects = [d for _, d in results]
            rejected = sum(p < 0.05 for p in p_values) / len(p_values)
            row = {
                "effect_share_removed": effect,
                "projects_per_arm": per_arm,
                "runs": args.runs,
                "share_p_below_0.05": rejected,
                "mean_effect_pass_rate": round(mean(effects), 4),
                "sd_effect": round(stdev(effects), 4),
            }
            if effect > 0 and stdev(effects) > 0:
                # the sd of a project's value from the spread of the measured effects
                sd = stdev(effects) / (2 / per_arm) ** 0.5
                row["analytic_power"] = round(
                    power_two_sample(mean(effects) / sd, per_arm, per_arm), 3
                )
            rows.append(row)
            print(orjson.dumps(row).decode(), flush=True)
    shutil.rmtree(work)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "experiment-sim-power.json").write_text(
        orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n"
    )


if __name__ == "__main__":
    main()
