"""``autoforge ab``: A/B experiments of prompt versions (start, assign, status,
conclude, stop, list) and the retrospective comparison of two versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from autoforge_learn.cli.common import (
    PANEL_LEARN,
    console,
    print_json,
    print_record,
    print_rows,
)
from autoforge_learn.cli.options import (
    FormatOption,
    OutputFormat,
    RootOption,
    uses_selection,
    uses_workspace,
)
from autoforge_learn.errors import UsageError as ExperimentError

if TYPE_CHECKING:
    from autoforge_learn.experiments.analysis import ExperimentStatus, MetricResult
    from autoforge_learn.experiments.model import Experiment
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

ab_app = typer.Typer(
    help="A/B experiments of prompt versions, analysed with the project as the unit.\n\n"
    "Example:  autoforge ab start --role architect --control architect.v1.1 "
    "--treatment architect.v1.2 --planned-projects 40",
    no_args_is_help=True,
)

GuardrailOption = typer.Option(
    None, "--guardrail",
    help="A metric the treatment must not worsen beyond a margin (repeatable): "
    "cost_per_project:+10% (10% more at most), quality_score:-2 (2 points less at most).",
)


@ab_app.command("start")
@uses_workspace
def start_cmd(
    ws: Workspace,
    role: str = typer.Option(..., "--role", help="The agent role whose prompt is tested."),
    control: str = typer.Option(..., "--control", help="The current version, e.g. architect.v1.1."),
    treatment: str = typer.Option(..., "--treatment", help="The candidate version."),
    split: int = typer.Option(50, "--split", min=1, max=99,
                              help="Percent of new projects sent to the treatment."),
    metric: str = typer.Option("gate_pass_rate", "--metric",
                               help="The primary metric (see `autoforge metrics list`)."),
    secondary: list[str] = typer.Option(
        None, "--secondary", help="Secondary metrics (repeatable; Holm-corrected together)."),
    guardrail: list[str] = GuardrailOption,
    planned: int | None = typer.Option(
        None, "--planned-projects", min=2,
        help="Projects the fixed-horizon test waits for (refused when they cannot reach a "
        "verdict)."),
    mode: str = typer.Option(
        "fixed", "--mode",
        help="fixed: read the result once the planned projects are in; sequential: valid "
        "at every look (after each project), at some cost in power."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5,
                                help="The significance level."),
    experiment_id: str | None = typer.Option(
        None, "--id", help="The experiment's id (default: ROLE-TREATMENT-vs-CONTROL)."),
    salt: str | None = typer.Option(
        None, "--salt", help="The secret that decides every project's arm (default: random; "
        "give one only to reproduce an assignment).", show_default=False),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Start an A/B test of two prompt versions of a role.

    New projects are assigned by a hash of the experiment's salt and their id: call
    `collector.assign(EXPERIMENT, project_id)` in the pipeline, or
    `autoforge ab assign EXPERIMENT PROJECT`, and run the project with the version
    returned.

    Example:  autoforge ab start --role architect --control architect.v1.1
    --treatment architect.v1.2 --guardrail cost_per_project:+10% --planned-projects 40
    """
    from autoforge_learn.experiments.lifecycle import start_experiment
    from autoforge_learn.experiments.model import ExperimentError, Guardrail

    if mode not in ("fixed", "sequential"):
        raise ExperimentError(f"--mode must be fixed or sequential, not {mode!r}")
    experiment = start_experiment(
        ws, role=role, control=control, treatment=treatment, split=split, metric=metric,
        secondary=secondary or [], guardrails=[Guardrail.parse(g) for g in guardrail or []],
        planned_projects=planned, mode=mode,  # type: ignore[arg-type]
        alpha=alpha, experiment_id=experiment_id, salt=salt,
    )
    print_record(
        experiment_record(experiment), fmt=fmt,
        message=f"Started {experiment.id}: {experiment.treatment} against "
        f"{experiment.control} on {experiment.metric}, {experiment.split}% to the "
        f"treatment, {experiment.mode} analysis.\nAssign each new project: "
        f"collector.assign({experiment.id!r}, project_id) or "
        f"`autoforge ab assign {experiment.id} PROJECT`.",
    )


@ab_app.command("assign")
def assign_cmd(
    experiment_id: str = typer.Argument(..., help="The experiment (or rollout)."),
    project_id: str = typer.Argument(..., help="The new project."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Assign a project to an arm, record it, and print the version to run.

    The same project always gets the same version. Only the version is printed, for
    scripts: `VERSION=$(autoforge ab assign exp-1 "$PROJECT")`; --format json gives the
    experiment, project and version.

    Example:  autoforge ab assign architect-v1.2-vs-v1.1 PRJ-0042
    """
    from autoforge_learn.collect.collector import Collector

    with Collector(root) as collector:
        version = collector.assign(experiment_id, project_id)
    print_record({"experiment": experiment_id, "project_id": project_id, "version": version},
                 fmt=fmt, message=version)


@ab_app.command("list")
@uses_workspace
def list_cmd(ws: Workspace, fmt: FormatOption = OutputFormat.table) -> None:
    """List the experiments with their versions, status and decision.

    Example:  autoforge ab list --format json
    """
    from autoforge_learn.experiments.lifecycle import experiments
    from autoforge_learn.experiments.rows import summary_row

    rows = [summary_row(e) for e in experiments(ws, kind="experiment")]
    if not rows and fmt == OutputFormat.table:
        console.print("No experiments yet: start one with `autoforge ab start`.")
        return
    print_rows(rows, fmt=fmt, title="Experiments")


@ab_app.command("status")
@uses_workspace
def status_cmd(
    ws: Workspace,
    experiment_id: str = typer.Argument(..., help="The experiment."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Analyse an experiment and say what may be concluded now.

    Per metric: the effect with its 95% interval, the p-value, projects per arm and the
    test; then the sample ratio, power and guardrails.

    Example:  autoforge ab status architect-v1.2-vs-v1.1 --format json
    """
    from autoforge_learn.experiments.lifecycle import experiment_status

    status = experiment_status(ws, experiment_id)
    if fmt != OutputFormat.table:
        data = status.to_dict()
        if fmt == OutputFormat.json:
            print_json(data)
        else:
            print_rows([{"experiment": data["experiment"], **m} for m in data["metrics"]],
                       fmt=fmt)
        return
    print_status(status)


def print_status(status: ExperimentStatus) -> None:
    """The status as a person reads it: header, metric table, checks, conclusion."""
    e = status.experiment
    console.print(
        f"[bold]{e.id}[/] ({e.status}, {e.mode}): {e.role}: {e.treatment} (treatment) "
        f"against {e.control} (control), split {e.split}%", highlight=False)
    planned = f" of {e.planned_projects} planned" if e.planned_projects else ""
    console.print(f"Projects: {status.n_control} control, {status.n_treatment} treatment"
                  f"{planned}; sample ratio p = {status.sample_ratio_p:.3g}"
                  f"{'  [bold red]MISMATCH[/]' if status.sample_ratio_mismatch else ''}"
                  f"{'  [yellow]UNDERPOWERED[/]' if status.underpowered else ''}",
                  highlight=False)
    print_metrics(status.metrics)
    console.print(status.conclusion, highlight=False)


def print_metrics(metrics: list[MetricResult]) -> None:
    """Each metric in three lines (readable at any width): the arms' values, the effect
    with its interval, p-value and verdict, then the test and the detectable size."""
    from autoforge_learn.analyze.metrics import get_metric
    from autoforge_learn.analyze.units import format_change, format_interval, format_value

    for m in metrics:
        unit = get_metric(m.metric).unit
        role = "" if m.role == "primary" else f" ({m.role})"
        console.print(
            f"[bold]{m.metric}[/]{role}: control {format_value(m.control_value, unit)}, "
            f"treatment {format_value(m.treatment_value, unit)} "
            f"({m.n_control} and {m.n_treatment} projects)", highlight=False)
        if m.effect is not None:
            p = m.adjusted_p if m.adjusted_p is not None else m.p_value
            p_text = "" if p is None else (
                f", p = {p:.3g}" + (" (Holm)" if m.adjusted_p is not None else ""))
            console.print(
                f"  effect {format_change(m.effect, unit)} "
                f"{format_interval(m.ci_low, m.ci_high, unit)}{p_text}: {m.verdict}",
                highlight=False)
        seen = (f"; detectable with 80% power: {format_change(m.detectable, unit).lstrip('+')}"
                if m.detectable else "")
        console.print(f"  [dim]{m.test}{seen}[/]", highlight=False)


@ab_app.command("conclude")
@uses_workspace
def conclude_cmd(
    ws: Workspace,
    experiment_id: str = typer.Argument(..., help="The experiment."),
    winner: str | None = typer.Option(
        None, "--winner", help="Keep this version even when the evidence does not decide "
        "(recorded as chosen by hand)."),
    reason: str | None = typer.Option(None, "--reason", help="Why, for the changelog."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """End an experiment: the winner becomes the default, the loser is archived.

    The decision with its evidence goes to the prompt changelog.

    Without --winner the evidence decides, and an undecided experiment is refused.

    Example:  autoforge ab conclude architect-v1.2-vs-v1.1
    """
    from autoforge_learn.experiments.lifecycle import conclude_experiment

    done = conclude_experiment(ws, experiment_id, winner=winner, reason=reason)
    assert done.decision is not None
    print_record(experiment_record(done), fmt=fmt,
                 message=f"Concluded {done.id}: {done.decision.winner} is the default of "
                 f"{done.role}. {done.decision.reason}")


@ab_app.command("stop")
@uses_workspace
def stop_cmd(
    ws: Workspace,
    experiment_id: str = typer.Argument(..., help="The experiment."),
    reason: str = typer.Option(..., "--reason", help="Why it stops (kept in its history)."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Stop an experiment without a decision (the default does not change).

    New projects get the role's default again.

    Example:  autoforge ab stop architect-v1.2-vs-v1.1 --reason "prompt bug in v1.2"
    """
    from autoforge_learn.experiments.lifecycle import stop_experiment

    stopped = stop_experiment(ws, experiment_id, reason=reason)
    print_record(experiment_record(stopped), fmt=fmt, message=f"Stopped {stopped.id}.")


@ab_app.command("compare")
@uses_workspace
@uses_selection
def compare_cmd(
    ws: Workspace,
    selection: Selection,
    control: str = typer.Option(..., "--control", help="The baseline version."),
    treatment: str = typer.Option(..., "--treatment", help="The version compared with it."),
    metric: str = typer.Option("gate_pass_rate", "--metric", help="The metric."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Compare two versions on the projects already in the store (observational).

    No assignment decided which project ran which version: the comparison is made
    within recipe and domain where both versions ran in several. The selection options
    narrow the projects; --role names the role (by default the versions').

    Example:  autoforge ab compare --role architect --control architect.v1.0
    --treatment architect.v1.1 --metric gate_pass_rate --format json
    """
    from autoforge_learn.experiments.compare import compare_versions
    from autoforge_learn.registry import parse_version_id

    role = parse_version_id(control)[0]
    if selection.roles and tuple(selection.roles) != (role,):
        raise ExperimentError(f"--role {' '.join(selection.roles)}: {control} is a version "
                              f"of {role}")
    result = compare_versions(ws, role=role, control=control, treatment=treatment,
                              metric=metric, selection=selection)
    if fmt != OutputFormat.table:
        data = result.to_dict()
        print_json(data) if fmt == OutputFormat.json else print_rows([data], fmt=fmt)
        return
    console.print(f"[bold]{treatment}[/] against [bold]{control}[/] on past projects "
                  "(observational)", highlight=False)
    print_metrics([result.result])
    if result.strata:
        print_rows([{"stratum": k, "control": c, "treatment": t}
                    for k, (c, t) in result.strata.items()], fmt=OutputFormat.table)
    console.print(result.decision, highlight=False)


def experiment_record(e: Experiment) -> dict[str, Any]:
    """An experiment or rollout as JSON, without its salt (which decides every arm)."""
    return e.model_dump(mode="json", exclude={"salt"})


def register(app: typer.Typer) -> None:
    app.add_typer(ab_app, name="ab", rich_help_panel=PANEL_LEARN)
