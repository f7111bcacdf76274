"""``autoforge rollout``: staged rollout of a prompt version with automatic rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from autoforge_learn.cli.cmd_ab import GuardrailOption, experiment_record, print_metrics
from autoforge_learn.cli.common import PANEL_LEARN, console, print_record, print_rows
from autoforge_learn.cli.options import FormatOption, OutputFormat, uses_workspace

if TYPE_CHECKING:
    from autoforge_learn.experiments.rollout import RolloutStatus
    from autoforge_learn.workspace import Workspace

rollout_app = typer.Typer(
    help="Move new projects to a prompt version in steps, keep a holdback on the previous "
    "default, and roll back at once when a guardrail deteriorates.\n\n"
    "Example:  autoforge rollout start architect.v1.2 --from 25",
    no_args_is_help=True,
)


def steps_from(first: int, steps: str | None) -> list[int]:
    """``--steps 25,50,100`` as given, else doubling from ``--from`` up to 100."""
    from autoforge_learn.errors import UsageError

    if steps:
        try:
            return [int(s) for s in steps.split(",") if s.strip()]
        except ValueError:
            raise UsageError(f"--steps {steps!r}: expected percents, e.g. 25,50,100") from None
    out = [first]
    while out[-1] < 100:
        out.append(min(100, out[-1] * 2))
    return out


@rollout_app.command("start")
@uses_workspace
def start_cmd(
    ws: Workspace,
    version: str = typer.Argument(..., help="The version to roll out, e.g. architect.v1.2."),
    first: int = typer.Option(25, "--from", min=1, max=100,
                              help="Percent of new projects in the first phase (then doubled)."),
    steps: str | None = typer.Option(None, "--steps",
                                     help="Every phase's percent, e.g. 10,25,50,100."),
    holdback: int = typer.Option(10, "--holdback", min=1, max=50,
                                 help="Percent of projects kept on the previous default."),
    phase_projects: int = typer.Option(20, "--phase-projects", min=2,
                                       help="Projects a phase needs before the next one."),
    metric: str = typer.Option("gate_pass_rate", "--metric",
                               help="The metric each phase reports."),
    guardrail: list[str] = GuardrailOption,
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5,
                                help="Level of the always-valid rollback test."),
    rollout_id: str | None = typer.Option(None, "--id", help="Default: rollout-VERSION."),
    salt: str | None = typer.Option(
        None, "--salt", help="The secret that decides every project's arm (default: random; "
        "give one only to reproduce an assignment).", show_default=False),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Start a staged rollout of a version against its role's current default.

    Guardrails default to gate_pass_rate and quality_score with no margin (any
    deterioration shown by the always-valid test rolls back). Assign projects as for an
    A/B test (`collector.assign(ROLLOUT, project_id)`), and run `autoforge rollout
    status` after each project: it advances, completes or rolls back.

    Example:  autoforge rollout start architect.v1.2 --from 25 --guardrail cost_per_project:+10%
    """
    from autoforge_learn.experiments.model import Guardrail
    from autoforge_learn.experiments.rollout import start_rollout

    rollout = start_rollout(
        ws, version, steps=steps_from(first, steps), holdback=holdback,
        phase_projects=phase_projects, metric=metric,
        guardrails=[Guardrail.parse(g) for g in guardrail or []], alpha=alpha,
        rollout_id=rollout_id, salt=salt,
    )
    plan = rollout.rollout
    assert plan is not None
    print_record(
        experiment_record(rollout), fmt=fmt,
        message=f"Started {rollout.id}: {rollout.treatment} for "
        f"{' -> '.join(f'{s}%' for s in plan.steps)} of new projects, {plan.holdback}% held "
        f"back on {rollout.control}; guardrails: "
        f"{', '.join(g.describe() for g in rollout.guardrails)}.",
    )


@rollout_app.command("status")
@uses_workspace
def status_cmd(
    ws: Workspace,
    rollout_id: str | None = typer.Argument(None, help="The rollout (default: every running one)."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Show the decision without acting on it."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Analyse a rollout and act on it: advance, complete or roll back.

    Rolls back at once when a guardrail deteriorates, moves to the next phase when this
    one holds its projects, makes the version the default after the last phase.

    Example:  autoforge rollout status rollout-architect.v1.2
    """
    from autoforge_learn.experiments.lifecycle import experiments
    from autoforge_learn.experiments.rollout import check_rollout

    ids = [rollout_id] if rollout_id else [
        r.id for r in experiments(ws, kind="rollout") if r.status == "running"]
    statuses = [check_rollout(ws, i, apply=not dry_run) for i in ids]
    if fmt != OutputFormat.table:
        print_rows([s.to_dict() for s in statuses], fmt=fmt)
        return
    if not statuses:
        console.print("No running rollout: start one with `autoforge rollout start`.")
    for status in statuses:
        print_rollout(status)


def print_rollout(status: RolloutStatus) -> None:
    """A rollout as a person reads it: phase, per-phase metric, guardrails, decision."""
    r, plan = status.rollout, status.rollout.rollout
    assert plan is not None
    console.print(f"[bold]{r.id}[/] ({r.status}): {r.treatment} replacing {r.control}, phase "
                  f"{plan.phase} of {len(plan.steps)} at {plan.share}% (holdback "
                  f"{plan.holdback}%)", highlight=False)
    for phase in status.phases:
        console.print(f"Phase {phase.phase} ({phase.share}%): {phase.n_control} control, "
                      f"{phase.n_treatment} new; sample ratio p = {phase.sample_ratio_p:.3g}",
                      highlight=False)
        print_metrics([phase.primary])
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.analyze.units import format_change, format_interval

    console.print("[bold]Guardrails[/] (every phase, checked after each project):")
    for g in status.guardrails:
        unit = get_metric(g.guardrail.metric).unit
        numbers = "" if g.result is None else (
            f": harm {format_change(g.result.harm, unit)} "
            f"{format_interval(g.result.low, g.result.high, unit)}, always-valid p = "
            f"{g.result.p_value:.3g}")
        console.print(f"  {g.guardrail.describe()}{numbers} ({g.n_control} and "
                      f"{g.n_treatment} projects): {g.verdict}", highlight=False)
    done = " (done)" if status.applied else ""
    console.print(f"Decision: [bold]{status.action}[/]{done}: {escape(status.reason)}",
                  highlight=False)


@rollout_app.command("list")
@uses_workspace
def list_cmd(ws: Workspace, fmt: FormatOption = OutputFormat.table) -> None:
    """List rollouts with their phase and status.

    Example:  autoforge rollout list
    """
    from autoforge_learn.experiments.lifecycle import experiments
    from autoforge_learn.experiments.rows import rollout_row

    rows = [rollout_row(r) for r in experiments(ws, kind="rollout")]
    if not rows and fmt == OutputFormat.table:
        console.print("No rollouts yet: start one with `autoforge rollout start`.")
        return
    print_rows(rows, fmt=fmt, title="Rollouts")


@rollout_app.command("stop")
@uses_workspace
def stop_cmd(
    ws: Workspace,
    rollout_id: str = typer.Argument(..., help="The rollout."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in its history)."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Stop a rollout by hand: new projects get the previous default again.

    Example:  autoforge rollout stop rollout-architect.v1.2 --reason "holiday freeze"
    """
    from autoforge_learn.experiments.lifecycle import stop_experiment

    stopped = stop_experiment(ws, rollout_id, reason=reason)
    print_record(experiment_record(stopped), fmt=fmt, message=f"Stopped {rollout_id}.")


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout", rich_help_panel=PANEL_LEARN)
