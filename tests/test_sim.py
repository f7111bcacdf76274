from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from autoforge_learn.cli.app import app
from autoforge_learn.schema import EventBase, parse_line
from autoforge_learn.schema.jsonschema import generate_json_schema
from autoforge_learn.schema.quality import quality_inputs, quality_score
from autoforge_learn.sim import DEFAULT_START, SimulationError, SimulationResult, simulate
from autoforge_learn.sim.prompts import render
from autoforge_learn.store import StoreLayout


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _raw(root: Path) -> list[dict]:
    out: list[dict] = []
    for path in StoreLayout(root).raw_files():
        out.extend(orjson.loads(line) for line in path.read_bytes().splitlines())
    return out


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    root = tmp_path_factory.mktemp("sim") / ".autoforge"
    return simulate(root, projects=60, seed=11)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    root = tmp_path_factory.mktemp("big") / ".autoforge"
    return simulate(root, projects=200, seed=3)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, sim: SimulationResult):
    again = simulate(tmp_path / "a" / ".autoforge", projects=60, seed=11)
    first, second = _files(sim.root), _files(again.root)
    assert first.keys() == second.keys()
    assert first == second
    other = simulate(tmp_path / "b" / ".autoforge", projects=60, seed=12)
    assert _files(other.root) != first


def test_every_line_parses_and_matches_the_json_schema(sim: SimulationResult):
    validator = Draft202012Validator(generate_json_schema())
    count = 0
    for path in StoreLayout(sim.root).raw_files():
        for line in path.read_bytes().splitlines():
            parse_line(line)
            errors = list(validator.iter_errors(orjson.loads(line)))
            assert not errors, (path.name, errors[0].message)
            count += 1
    assert count == sim.events
    assert sum(sim.events_by_kind.values()) == count


def test_simulated_time_spans_several_months(sim: SimulationResult):
    months = sorted(p.name for p in (sim.root / "ai/training_data/raw").iterdir())
    assert len(months) >= 5 and months == sim.months
    stamps = [datetime.fromisoformat(e["timestamp"]) for e in _raw(sim.root)]
    assert max(stamps) < datetime(2025, 11, 15, tzinfo=UTC)
    assert min(stamps) > datetime(2025, 4, 1, tzinfo=UTC)
    assert DEFAULT_START == datetime(2025, 11, 1, tzinfo=UTC)


def test_quality_score_equals_the_formula_on_the_projects_events(sim: SimulationResult):
    by_project: dict[str, list[EventBase]] = defaultdict(list)
    raw_by_project: dict[str, list[dict]] = defaultdict(list)
    for obj in _raw(sim.root):
        by_project[obj["project_id"]].append(parse_line(orjson.dumps(obj)))
        raw_by_project[obj["project_id"]].append(obj)
    summaries = list((sim.root / "ai/training_data/raw").rglob("*_summary.json"))
    assert len(summaries) == sim.projects
    for path in summaries:
        summary = orjson.loads(path.read_bytes())
        pid = summary["project_id"]
        recorded = summary["outcome"]["quality_score"]
        assert recorded == quality_inputs(by_project[pid]).score() == sim.quality_scores[pid]
        # The same rules, spelled out on the raw dicts.
        events = raw_by_project[pid]
        tests = [e for e in events if e["kind"] == "test_results"]
        scans = [e for e in events if e["kind"] == "security_scan"]
        perf = [e for e in events if e["kind"] == "performance_metrics"]
        assert len(tests) <= 1 and len(scans) <= 1 and len(perf) <= 1
        expected = quality_score(
            test_coverage_percent=tests[0]["test_coverage_percent"] if tests else None,
            security_clean=bool(scans) and scans[0]["critical"] == 0 and scans[0]["major"] == 0,
            perf_within_slo=bool(perf) and perf[0]["within_slo"],
            no_major_rework=not any(e["kind"] == "downstream_feedback"
                                    and e["severity"] in ("critical", "major") for e in events),
        )
        assert recorded == expected


def test_truth_lists_problems_and_truth_events_are_the_gate_failures(sim: SimulationResult):
    truth = orjson.loads(sim.truth_file.read_bytes())
    assert truth["seed"] == 11 and truth["inject_problems"] is True
    types = {p["type"] for p in truth["problems"]}
    assert {"gate_root_cause", "retry_hotspot", "bad_handoff", "override_hotspot",
            "miscalibration", "token_inefficient", "auto_fix_best", "auto_fix_worst"} <= types
    assert sorted(sim.problems) == sorted(p["id"] for p in truth["problems"])
    for version in truth["prompt_versions"].values():
        for gate in version["gates"].values():
            assert set(gate["causes"]) <= set(truth["causes"])
    failures = {e["event_id"]: e for e in _raw(sim.root)
                if e["kind"] == "gate_evaluation" and e["validation_result"] == "fail"}
    lines = sim.truth_events_file.read_bytes().splitlines()
    truth_events = [orjson.loads(line) for line in lines]
    assert len(truth_events) == len(failures) == sim.gate_failures > 0
    for item in truth_events:
        assert failures[item["event_id"]]["gate_id"] == item["gate_id"]
        assert truth["causes"][item["cause_id"]]["gate_id"] == item["gate_id"]
    # Each cause is phrased in several ways.
    reasons = defaultdict(set)
    for item in truth_events:
        reasons[item["cause_id"]].add(failures[item["event_id"]]["validation_reason"])
    assert max(len(r) for r in reasons.values()) >= 3


def test_gate_semantics(sim: SimulationResult):
    checks: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for e in _raw(sim.root):
        if e["kind"] == "gate_evaluation":
            checks[(e["project_id"], e["stage"], e["gate_id"])].append(e)
    escalations = {(e["project_id"], e["gate_id"]) for e in _raw(sim.root)
                   if e["kind"] == "escalation"}
    for (pid, _stage, gid), runs in checks.items():
        attempt = 0
        for i, check in enumerate(runs):
            attempt = attempt + 1 if check["retry_attempt"] > 1 else 1
            assert check["retry_attempt"] == attempt <= check["max_retries"]
            last_of_run = i + 1 == len(runs) or runs[i + 1]["retry_attempt"] == 1
            resolved = check["validation_result"] == "pass" or check.get("auto_fix_success")
            if not last_of_run:
                assert check["validation_result"] == "fail" and not check.get("auto_fix_success")
            elif not resolved:
                assert check["escalated"] and attempt == check["max_retries"]
                assert (pid, gid) in escalations
            if check.get("human_override"):
                assert check["escalated"] and check["human_decision"]


def test_prompt_files_hold_every_version_and_events_their_text(sim: SimulationResult):
    texts: dict[str, str] = {}
    for path in sorted((sim.root / "ai/prompts").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        assert path.stem == doc["role"]
        for vid, version in doc["versions"].items():
            assert vid.startswith(doc["role"] + ".v") and version["changes"]
            texts[vid] = render(version["sections"])
    assert texts["architect.v1.1"].count("error") > texts["architect.v1.0"].count("error")
    stages = [e for e in _raw(sim.root) if e["kind"] == "stage_execution"]
    assert stages and {e["prompt_version"] for e in stages} <= set(texts)
    for e in stages:
        assert e["prompt_template"] == texts[e["prompt_version"]]
    # The prompt registry reads the files and renders the same text.
    from autoforge_learn.registry.prompts import PromptRegistry

    registry = PromptRegistry(sim.root)
    for vid, text in texts.items():
        assert registry.get(vid).text() == text


def test_healthy_run_has_few_gate_failures(tmp_path: Path):
    result = simulate(tmp_path / ".autoforge", projects=100, seed=5, inject_problems=False)
    gates = [e for e in _raw(result.root) if e["kind"] == "gate_evaluation"]
    rate = sum(e["validation_result"] == "fail" for e in gates) / len(gates)
    assert rate < 0.05
    truth = orjson.loads(result.truth_file.read_bytes())
    assert truth["problems"] == [] and result.problems == []
    assert max(truth["approvals"]["override_rates"].values()) < 0.3


def _rate(pairs: list[bool]) -> float:
    return sum(pairs) / len(pairs)


def test_injected_latent_rates_are_visible_in_the_data(big: SimulationResult):
    truth = orjson.loads(big.truth_file.read_bytes())
    events = _raw(big.root)
    fixes: dict[str, list[bool]] = defaultdict(list)
    for e in events:
        if e["kind"] == "gate_evaluation" and e["auto_fix_applied"]:
            fixes[e["auto_fix_strategy"]].append(e["auto_fix_success"])
    best, worst = truth["auto_fix"]["best"], truth["auto_fix"]["worst"]
    assert _rate(fixes[best]) > _rate(fixes[worst]) + 0.3
    # Override hotspots are overridden far more often than other decisions.
    overrides: dict[str, list[bool]] = defaultdict(list)
    for e in events:
        if e["kind"] == "human_approval":
            overrides[f"{e['decision_type']}:{e['agent_role']}"].append(not e["decision_aligned"])
    hot = {f"{p['decision_type']}:{p['agent_role']}" for p in truth["problems"]
           if p["type"] == "override_hotspot"}
    assert min(_rate(overrides[k]) for k in hot) > 0.4
    assert max(_rate(v) for k, v in overrides.items() if k not in hot) < 0.4
    # The retry hotspot retries more than once per stage on average; nothing else does.
    platform = {e["project_id"]: e["platform"] for e in events if e["kind"] == "project_started"}
    retries = Counter((e["project_id"], e["stage"]) for e in events
                      if e["kind"] == "gate_evaluation" and e["retry_attempt"] > 1)
    per_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in events:
        if e["kind"] == "stage_execution":
            group = (e["agent_role"], platform[e["project_id"]])
            per_group[group].append(retries[(e["project_id"], e["stage_id"])])
    spot = next(p for p in truth["problems"] if p["type"] == "retry_hotspot")
    averages = {k: sum(v) / len(v) for k, v in per_group.items()}
    assert averages.pop((spot["role"], spot["platform"])) > 1.0
    assert max(averages.values()) < 1.0
    # A token-inefficient version uses >20% more tokens than its predecessor.
    ineff = next(p for p in truth["problems"] if p["type"] == "token_inefficient")
    tokens: dict[str, list[int]] = defaultdict(list)
    for e in events:
        if e["kind"] == "stage_execution" and e["stage_id"] != "deploy":
            tokens[e["prompt_version"]].append(e["input_tokens"] + e["output_tokens"])
    mean = {k: sum(v) / len(v) for k, v in tokens.items()}
    assert mean[ineff["prompt_version"]] > 1.2 * mean[ineff["compared_to"]]


def test_refuses_a_store_with_raw_data(sim: SimulationResult):
    with pytest.raises(SimulationError, match="already holds raw files"):
        simulate(sim.root, projects=1, seed=11)
    with pytest.raises(ValueError):
        simulate(sim.root.parent / "other", projects=0, seed=1)


def test_cli_simulate(tmp_path: Path):
    root = tmp_path / ".autoforge"
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "--projects", "12", "--seed", "4", "--root",
                                 str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["projects"] == 12 and summary["seed"] == 4
    files = StoreLayout(root).raw_files()
    assert files
    completed = [parse_line(line) for f in files for line in f.read_bytes().splitlines()
                 if b'"project_completed"' in line]
    assert len(completed) == 12
    assert summary["events"] == sum(len(f.read_bytes().splitlines()) for f in files)
    again = runner.invoke(app, ["simulate", "-n", "3", "-s", "4", "--root", str(root)])
    assert again.exit_code == 1 and "already holds raw files" in again.output
    healthy = runner.invoke(app, ["simulate", "-n", "5", "-s", "4", "--healthy", "--root",
                                  str(tmp_path / "h" / ".autoforge")])
    assert healthy.exit_code == 0, healthy.output
    truth = orjson.loads((tmp_path / "h/.autoforge/ai/training_data/simulation_truth.json")
                         .read_bytes())
    assert truth["inject_problems"] is False
    assert "Example:" in runner.invoke(app, ["simulate", "--help"]).output


def test_ctrl_c_during_simulate_says_what_was_written(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / ".autoforge"
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoforge_learn", "simulate", "-n", "5000", "--seed", "1",
         "--root", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    raw = root / "ai" / "training_data" / "raw"
    deadline = time.monotonic() + 60
    while not (raw.exists() and any(raw.rglob("*.jsonl"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    # Ended by SIGINT itself, so a shell sees 130 and a script's loop stops too.
    assert proc.returncode == -signal.SIGINT, err
    assert "Interrupted after" in err and "of 5,000 projects" in err and str(raw) in err
    assert "Traceback" not in err
