"""``autoforge demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import (
    PANEL_START,
    console,
    err_console,
    print_record,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption

if TYPE_CHECKING:
    from pathlib import Path

    from autoforge_learn.demo import DemoResult
    from autoforge_learn.train import TrainResult


def demo(
    root: RootOption = None,
    projects: int = typer.Option(50, "--projects", min=1, help="Projects to simulate."),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same data)."),
    fmt: FormatOption = OutputFormat.table,
    skip_train: bool = typer.Option(
        False, "--skip-train", help="Only simulate and summarise; do not run the learning loop."
    ),
) -> None:
    """Simulate projects into ./.autoforge, show what was recorded, and learn from them.

    Runs the simulator (realistic multi-agent projects with known truth, written through
    the SDK), prints events per kind and the gate pass rate per agent role, then runs
    `autoforge train` and prints where the learning report is. Run it in an empty
    directory; running it again reuses the data.

    Example:  mkdir try-autoforge && cd try-autoforge && autoforge demo
    """
    result = _run_with_progress(
        resolve_root(root, create=True),
        projects=projects,
        seed=seed,
        train=not skip_train,
        quiet=fmt != OutputFormat.table,
    )
    if fmt != OutputFormat.table:
        print_record(result.to_dict(), fmt=fmt, message="")
        return
    _print_recorded(result)
    if result.training is None:
        console.print("Next:         autoforge train      (learn from these runs)")
        return
    _print_learned(result.training)


def _run_with_progress(
    target: Path, *, projects: int, seed: int, train: bool, quiet: bool
) -> DemoResult:
    """:func:`~autoforge_learn.demo.run_demo` with a progress bar (none when ``quiet``)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from autoforge_learn.demo import run_demo

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("Simulating projects", total=projects)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def training(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"Training: {step}", completed=done, total=total)

        return run_demo(
            target,
            projects=projects,
            seed=seed,
            progress=advance,
            train=train,
            train_progress=training,
        )


def _print_recorded(result: DemoResult) -> None:
    """What was simulated: events per kind, gate pass rate per role, where the files are."""
    overview = result.overview
    if result.simulated:
        console.print(
            f"Simulated [bold]{overview.projects}[/] projects in {result.seconds:.1f} s "
            f"({overview.total_events:,} events, {len(overview.months)} months)."
        )
    else:
        console.print(f"Demo data already in place ({overview.projects} projects); reused it.")
    rows = [{"kind": k, "events": n} for k, n in sorted(overview.events.items())]
    print_rows(rows, fmt=OutputFormat.table, title="Events per kind", columns=["kind", "events"])
    gates = [
        {
            "agent role": r["agent_role"],
            "gate checks": r["checked"],
            "passed": r["passed"],
            "pass rate": f"{r['pass_rate']:.1%}" if r["pass_rate"] is not None else "-",
        }
        for r in overview.gate_pass_rates()
    ]
    print_rows(gates, fmt=OutputFormat.table, title="Gate pass rate per agent role")
    data = result.to_dict()
    console.print(f"Raw events:   {data['raw']}/YYYY-MM/project_<id>_*.jsonl", markup=False)
    console.print(f"Prompts:      {data['prompts']}/<role>.yaml", markup=False)
    console.print(f"Known truth:  {data['truth']}", markup=False)


def _print_learned(training: TrainResult) -> None:
    """What training found and where its report is."""
    console.print("\n" + training.summary(), markup=False)
    console.print(f"Report:       {training.report}", markup=False)
    console.print(f"HTML report:  {training.report_html}", markup=False)
    if training.suggestions:
        first = training.suggestions[0].suggestion_id
        console.print(f"Next:         autoforge prompts apply {first}")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_START)(demo)
