"""An experiment's and a rollout's whole life on both engines: start (and the designs
refused), sticky assignment recorded as events, status against the truth, conclusion
with the default and the changelog, rollout phases, automatic rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector
from autoforge_learn.errors import AutoforgeError
from autoforge_learn.experiments.lifecycle import (
    conclude_experiment,
    experiment_status,
    get_experiment,
    read_assignments,
    start_experiment,
    stop_experiment,
)
from autoforge_learn.experiments.model import ExperimentError, Guardrail
from autoforge_learn.experiments.rollout import check_rollout, start_rollout
from autoforge_learn.registry import PromptRegistry
from tests.experiments.world import START, Effects, make_versions, run_projects

runner = CliRunner()
NOW = datetime(2025, 12, 1, tzinfo=UTC)
SALT = "0123456789abcdef"  # the arms are reproducible


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def test_designs_that_cannot_work_are_refused_with_the_reason(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    with pytest.raises(ExperimentError, match="not an active prompt version"):
        start_experiment(ws, role="architect", control=v10, treatment="architect.v9.9")
    with pytest.raises(AutoforgeError, match="did you mean gate_pass_rate"):
        start_experiment(ws, role="architect", control=v10, treatment=v11, metric="gate_pass_rat")
    with pytest.raises(ExperimentError, match="smallest p-value is 0.1"):
        start_experiment(
            ws,
            role="architect",
            control=v10,
            treatment=v11,
            metric="quality_score",
            planned_projects=6,
        )
    start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    with pytest.raises(ExperimentError, match="one experiment or rollout per role"):
        start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    result = runner.invoke(
        app,
        [
            "ab",
            "start",
            "--role",
            "architect",
            "--control",
            v10,
            "--treatment",
            v11,
            "--guardrail",
            "cost>10",
            "--root",
            str(af_root),
        ],
    )
    assert result.exit_code == 2 and "METRIC:+N%" in result.output


def test_assignment_is_sticky_and_recorded_once_per_project(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    with Collector(af_root) as c:
        first = {pid: c.assign(e.id, pid) for pid in _ids("s", 40)}
    with Collector(af_root) as c:  # another process, later
        again = {pid: c.assign(e.id, pid) for pid in _ids("s", 40)}
    assert first == again and set(first.values()) == {v10, v11}
    cli = runner.invoke(app, ["ab", "assign", e.id, "s000", "--root", str(af_root)])
    assert cli.exit_code == 0 and cli.output.strip() == first["s000"]
    ws.refresh()
    assigned = read_assignments(ws, e)
    assert [a.project_id for a in assigned] == _ids("s", 40)
    assert {a.project_id: e.version_of(a.arm) for a in assigned} == first
    t = ws.events()
    events = t.filter(t.kind == "experiment_assignment").count().to_pyarrow().as_py()
    assert events == 40  # re-assigning records nothing new


def test_an_experiment_finds_a_real_effect_and_its_conclusion_sets_the_default(
    af_root, open_ws
) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(
        ws,
        role="architect",
        control=v10,
        treatment=v11,
        guardrails=[Guardrail.parse("quality_score:-5")],
        secondary=["cost_per_project"],
        planned_projects=60,
        salt=SALT,
    )
    effects = Effects(pass_rate={v11: 0.92}, quality={v11: 76.0})
    run_projects(af_root, e.id, _ids("p", 60), effects, seed=1)
    ws.refresh()
    status = experiment_status(ws, e.id)
    primary = status.primary
    assert status.n_control + status.n_treatment == 60 and not status.sample_ratio_mismatch
    assert primary.p_value < 0.001 and 0.05 < primary.effect < 0.3
    assert primary.ci_low < 0.17 < primary.ci_high  # the true effect, 0.92 - 0.75
    assert status.metrics[1].adjusted_p is not None  # Holm over the secondary metrics
    assert status.metrics[-1].verdict == "holds"
    assert "conclude" in status.conclusion
    cli = runner.invoke(app, ["ab", "status", e.id, "--format", "json", "--root", str(af_root)])
    assert cli.exit_code == 0, cli.output
    assert '"test": "Welch t on per-project linearized ratios (delta method)"' in cli.output
    done = conclude_experiment(ws, e.id, now=NOW)
    registry = PromptRegistry(af_root)
    assert done.decision.winner == v11 and registry.default("architect").id == v11
    assert v10 not in {v.id for v in registry.versions("architect", include_archived=False)}
    changelog = registry.changelog.read_text()
    assert f"architect: default {v11}" in changelog and f"Experiment {e.id}" in changelog
    assert get_experiment(ws, e.id).status == "concluded"
    with Collector(af_root) as c:  # after the end, every project gets the winner
        assert c.assign(e.id, "late-project") == v11


def test_an_undecided_experiment_is_not_concluded_by_itself(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    run_projects(af_root, e.id, _ids("n", 16), Effects(), seed=2)
    ws.refresh()
    with pytest.raises(ExperimentError, match="the evidence does not decide"):
        conclude_experiment(ws, e.id, now=NOW)
    done = conclude_experiment(ws, e.id, winner=v10, now=NOW)
    assert "chosen by hand" in done.decision.reason
    assert PromptRegistry(af_root).default("architect").id == v10


def test_duplicating_every_gate_check_of_a_project_leaves_the_answer_unchanged(
    af_root, open_ws
) -> None:
    """The project is the unit: the same checks recorded twice (new event ids) change
    neither the effect nor the p-value."""
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    run_projects(af_root, e.id, _ids("d", 24), Effects(pass_rate={v11: 0.85}), seed=3)
    ws.refresh()
    before = experiment_status(ws, e.id).primary
    raw = af_root / "ai" / "training_data" / "raw"
    for path in raw.rglob("*_gates.jsonl"):
        lines = path.read_text().splitlines()
        copies = [line.replace('"event_id":"', '"event_id":"copy-') for line in lines]
        path.write_text("\n".join(lines + copies) + "\n")
    ws.refresh(rebuild=True)
    after = experiment_status(ws, e.id).primary
    assert after.effect == pytest.approx(before.effect, rel=1e-12)
    assert after.p_value == pytest.approx(before.p_value, rel=1e-9)


def test_a_rollout_moves_through_its_phases_and_makes_the_version_the_default(
    af_root, open_ws
) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    r = start_rollout(ws, v11, steps=(50, 100), phase_projects=12, salt=SALT, now=START)
    run_projects(af_root, r.id, _ids("a", 12), Effects(), seed=4)
    ws.refresh()
    status = check_rollout(ws, r.id, now=NOW)
    assert status.action == "advance" and status.rollout.rollout.share == 100
    run_projects(af_root, r.id, _ids("b", 12), Effects(), seed=5)
    ws.refresh()
    assigned = read_assignments(ws, get_experiment(ws, r.id))
    assert {a.phase for a in assigned if a.project_id.startswith("b")} == {2}
    # the holdback stays on the previous default at 100%
    holdback = [a for a in assigned if a.phase == 2 and a.arm == "control"]
    treated = [a for a in assigned if a.phase == 2 and a.arm == "treatment"]
    assert len(treated) > len(holdback)
    status = check_rollout(ws, r.id, now=NOW)
    assert status.action == "complete" and status.rollout.status == "completed"
    assert PromptRegistry(af_root).default("architect").id == v11


def test_a_rollout_that_hurts_is_rolled_back_automatically(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    r = start_rollout(
        ws,
        v11,
        steps=(50, 100),
        phase_projects=40,
        guardrails=[Guardrail.parse("gate_pass_rate")],
        salt=SALT,
        now=START,
    )
    bad = Effects(pass_rate={v11: 0.35})
    run_projects(af_root, r.id, _ids("r", 40), bad, seed=6)
    ws.refresh()
    status = check_rollout(ws, r.id, now=NOW)
    assert status.action == "rollback", status.reason
    assert status.rollout.status == "rolled_back"
    assert "gate_pass_rate worse by" in status.reason
    registry = PromptRegistry(af_root)
    assert registry.default("architect").id == v10
    assert f"rollout of {v11} rolled back" in registry.changelog.read_text()
    with Collector(af_root) as c:
        assert c.assign(r.id, "after-the-rollback") == v10
    listed = runner.invoke(app, ["rollout", "list", "--format", "json", "--root", str(af_root)])
    assert '"status": "rolled_back"' in listed.output


def test_stop_keeps_the_default(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    stop_experiment(ws, e.id, reason="prompt bug", now=NOW)
    assert get_experiment(ws, e.id).history[-1].note == "prompt bug"
    assert PromptRegistry(af_root).default("architect").id == v10
    with pytest.raises(ExperimentError, match="stopped, not running"):
        stop_experiment(ws, e.id, reason="again", now=NOW)


def test_compare_on_past_projects_says_it_is_observational(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, salt=SALT)
    run_projects(af_root, e.id, _ids("c", 30), Effects(pass_rate={v11: 0.9}), seed=7)
    stop_experiment(ws, e.id, reason="compare instead", now=NOW)
    result = runner.invoke(
        app,
        [
            "ab",
            "compare",
            "--role",
            "architect",
            "--control",
            v10,
            "--treatment",
            v11,
            "--format",
            "json",
            "--root",
            str(af_root),
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    for key in (
        "metric",
        "effect",
        "ci_low",
        "ci_high",
        "p_value",
        "n_control",
        "n_treatment",
        "test",
        "decision",
    ):
        assert key in data
    assert data["observational"] is True and "not assigned at random" in data["decision"]
    assert data["n_control"] + data["n_treatment"] == 30 and data["effect"] > 0


def test_a_sequential_experiment_may_be_read_at_every_look(af_root, open_ws) -> None:
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(
        ws,
        role="architect",
        control=v10,
        treatment=v11,
        mode="sequential",
        guardrails=[Guardrail.parse("quality_score:-10")],
        salt=SALT,
    )
    run_projects(af_root, e.id, _ids("q", 8), Effects(pass_rate={v11: 0.95}), seed=8)
    ws.refresh()
    early = experiment_status(ws, e.id)
    assert early.experiment.mode == "sequential"
    assert "always-valid" in early.primary.test
    run_projects(
        af_root,
        e.id,
        _ids("r", 40),
        Effects(pass_rate={v11: 0.95}),
        seed=9,
        start=START.replace(month=10),
    )
    ws.refresh()
    later = experiment_status(ws, e.id)
    assert later.primary.p_value <= 0.05 and "conclude now" in later.conclusion
    assert later.primary.ci_low <= 0.2 <= later.primary.ci_high  # 0.95 - 0.75
    assert later.metrics[-1].test.startswith("always-valid confidence sequence")
    assert conclude_experiment(ws, e.id, now=NOW).decision.winner == v11


def test_a_win_with_a_guardrail_not_shown_to_hold_is_not_concluded(af_root, open_ws) -> None:
    """The primary metric improves, but a tight quality margin cannot be shown with 30
    projects an arm: status says so (not "conclude"), and conclude asks for --winner."""
    v10, v11, _ = make_versions(af_root)
    ws = open_ws(af_root)
    e = start_experiment(ws, role="architect", control=v10, treatment=v11, planned_projects=60,
                         guardrails=[Guardrail.parse("quality_score:-0.5")], salt=SALT)
    run_projects(af_root, e.id, _ids("g", 60), Effects(pass_rate={v11: 0.92}), seed=3)
    ws.refresh()
    status = experiment_status(ws, e.id)
    assert status.primary.p_value < 0.01 and status.metrics[-1].verdict == "not shown to hold"
    assert "not shown to stay within its margin" in status.conclusion
    assert not status.conclusion.endswith(": conclude.")
    with pytest.raises(ExperimentError, match="--winner"):
        conclude_experiment(ws, e.id, now=NOW)
    assert conclude_experiment(ws, e.id, winner=v11, now=NOW).decision.winner == v11
