"""``autoforge simulate``: fill a store with simulated projects whose truth is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from autoforge_learn.cli.common import (
    PANEL_STORE,
    console,
    err_console,
    exit_interrupted,
    fail,
    print_json,
    print_record,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import OutputFormat, RootOption

# The simulator's defaults (autoforge_learn.sim.effects), repeated here so that the CLI
# does not import the simulator before it runs; tests/test_sim_realism.py checks them.
DEFAULT_ICC = 0.15
DEFAULT_CHECKS_PER_GATE = (2, 5)
DEFAULT_TOKEN_SD = 0.2

HELP = (
    "Simulate multi-agent projects with known truth, through the collector SDK.\n\n"
    "Writes raw events under ROOT/ai/training_data/raw/ (spread over the ~6 months before "
    "2025-11-01), the prompt of every version under ROOT/ai/prompts/, and the latent "
    "parameters in ROOT/ai/training_data/simulation_truth.json plus "
    "simulation_truth_events.jsonl (the root cause of every failing gate check), so that "
    "analyses can be scored against the truth. The same seed writes the same files.\n\n"
    "Checks of one project are correlated (--icc) and each gate checks several artifacts "
    "per stage run (--checks-per-gate), so that analyses must take the project as the "
    "unit; the truth file lists known-null contrasts (twin prompt versions and auto-fix "
    "strategies that differ in their id only).\n\n"
    "Example:  autoforge simulate --projects 200 --seed 7 --root /tmp/demo/.autoforge"
)


def simulate_command(
    projects: int = typer.Option(..., "--projects", "-n", min=1, help="Projects to simulate."),
    seed: int | None = typer.Option(
        None, "--seed", "-s", help="Seed: the same seed writes the same files (required "
        "unless --experiment continues a store).", show_default=False,
    ),
    root: RootOption = None,
    healthy: bool = typer.Option(
        False, "--healthy", help="Inject no problems: low failure rates, no hotspots."
    ),
    icc: float = typer.Option(
        DEFAULT_ICC, "--icc", min=0.0, max=0.9,
        help="Intra-project correlation of gate check outcomes (0: independent checks).",
    ),
    checks_per_gate: str = typer.Option(
        f"{DEFAULT_CHECKS_PER_GATE[0]}-{DEFAULT_CHECKS_PER_GATE[1]}", "--checks-per-gate",
        help="Artifacts a gate checks per stage run: MIN-MAX, or N for exactly N.",
    ),
    token_sd: float = typer.Option(
        DEFAULT_TOKEN_SD, "--token-sd", min=0.0, max=2.0,
        help="Between-project sd of log token use (0: none).",
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", help="Continue a simulated store with new projects assigned "
        "by this running experiment or rollout (through the SDK, as a pipeline would).",
        show_default=False,
    ),
    effect: float = typer.Option(
        0.0, "--effect", min=-4.0, max=0.99,
        help="With --experiment: the share of the gate failure causes the treatment "
        "removes (0.3: 30% fewer; -0.5: 50% more, an injected regression).",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="Output format of the summary."
    ),
) -> None:
    """Simulate multi-agent projects with known truth (help text: :data:`HELP`)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from autoforge_learn.sim import SimulationError, simulate

    checks = _checks_range(checks_per_gate)
    target = resolve_root(root, create=True)
    if experiment is not None:
        _continue(target, experiment, projects=projects, effect=effect, seed=seed, fmt=fmt)
        return
    if seed is None:
        fail("--seed is required (the same seed writes the same files)", code=2)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    finished = [0]
    try:
        with progress:
            task = progress.add_task("Simulating projects", total=projects)

            def advance(done: int, total: int) -> None:
                finished[0] = done
                progress.update(task, completed=done)

            result = simulate(
                target, projects=projects, seed=seed, inject_problems=not healthy,
                progress=advance, icc=icc, checks_per_gate=checks, token_sd=token_sd,
            )
    except (SimulationError, ValueError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raw = target / "ai" / "training_data" / "raw"
        exit_interrupted(
            f"Interrupted after {finished[0]:,} of {projects:,} projects: their events are in "
            f"{raw} (whole lines only); the truth file was not written. Simulate into a "
            "fresh store for a complete world."
        )
    _print_summary(result, seed=seed, fmt=fmt)


def _print_summary(result: Any, *, seed: int, fmt: OutputFormat) -> None:
    """What a simulation wrote, as a table or as data."""
    summary = result.to_dict()
    if fmt == OutputFormat.json:
        print_json(summary)
        return
    rows: list[dict[str, Any]] = [
        {"metric": "projects", "value": result.projects},
        {"metric": "events", "value": result.events},
        {"metric": "events per project", "value": round(result.events_per_project, 2)},
        {"metric": "gate checks", "value": result.gate_checks},
        {"metric": "checks per gate run", "value": "{}-{}".format(*result.checks_per_gate)},
        {"metric": "intra-project correlation", "value": result.icc},
        {"metric": "gate failure rate", "value": round(result.gate_failure_rate, 4)},
        *({"metric": f"outcome: {k}", "value": v} for k, v in result.outcomes.items()),
        {"metric": "months", "value": f"{result.months[0]} .. {result.months[-1]}"},
        {"metric": "injected problems", "value": len(result.problems)},
        {"metric": "truth file", "value": str(result.truth_file)},
        {"metric": "seconds", "value": round(result.elapsed_seconds, 2)},
    ]
    if fmt != OutputFormat.table:
        print_rows(rows, fmt=fmt)
        return
    print_rows(rows, fmt=fmt, title=f"Simulated {result.projects} projects (seed {seed})")
    raw = escape(str(result.root / "ai" / "training_data" / "raw"))
    console.print(f"Raw events in [bold]{raw}[/]")


def _continue(target: Path, experiment: str, *, projects: int, effect: float,
              seed: int | None, fmt: OutputFormat) -> None:
    """Run new projects of a simulated store under a running experiment or rollout."""
    from autoforge_learn.sim.experiment import simulate_experiment

    with err_console.status(f"Simulating {projects} projects under {experiment}"):
        ran = simulate_experiment(target, experiment, projects=projects, effect=effect,
                                  seed=seed)
    if fmt != OutputFormat.table:
        print_record(ran, fmt=fmt, message="")
        return
    console.print(
        f"Ran {len(ran['projects'])} projects ({ran['projects'][0]} .. {ran['projects'][-1]}, "
        f"{ran['events']:,} events) under {experiment}: {ran['treatment']} against "
        f"{ran['control']}; the treatment {'removes' if effect >= 0 else 'adds'} "
        f"{abs(effect):.0%} of the gate failure causes. "
        f"Truth: {ran['truth_file']}", highlight=False)


def _checks_range(text: str) -> tuple[int, int]:
    """``"2-8"`` -> (2, 8), ``"3"`` -> (3, 3); exits with a message on anything else."""
    low, sep, high = text.strip().partition("-")
    try:
        pair = (int(low), int(high) if sep else int(low))
    except ValueError:
        fail(f"--checks-per-gate must be MIN-MAX or N, got {text!r}")
    if not 1 <= pair[0] <= pair[1] <= 50:
        fail(f"--checks-per-gate must satisfy 1 <= MIN <= MAX <= 50, got {text!r}")
    return pair


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the application."""
    app.command("simulate", help=HELP, rich_help_panel=PANEL_STORE)(simulate_command)
