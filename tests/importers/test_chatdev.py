"""`autoforge import chatdev` against the real ChatDev logs in ../shared/data/chatdev
(the `data` fixture skips with the reason when they are absent, as on a fresh clone; CI
must have them and fails without)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.importers.chatdev import ChatDevConfigs, import_chatdev, parse_log
from autoforge_learn.importers.chatdev.importer import project_id_for
from autoforge_learn.schema.events import PROMPT_VERSION_PATTERN
from autoforge_learn.store import StoreLayout
from autoforge_learn.store.validate import validate_files
from tests.conftest import chatdev_logs

runner = CliRunner()

_USAGE = re.compile(r"^(prompt|completion)_tokens: (-?\d+)\s*$", re.M)
_POST = re.compile(r"\*\*num_(prompt|completion)_tokens\*\*=(-?\d+)")


@pytest.fixture(scope="module")
def data() -> Path:
    return chatdev_logs()


@pytest.fixture(scope="module")
def imported(data: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("store") / ".autoforge"
    report = import_chatdev([data], root=root)
    return root, report


def _events(root: Path) -> list[dict]:
    out = []
    for path in StoreLayout(root).raw_files():
        out.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line)
    return out


def _by_project(root: Path) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for event in _events(root):
        grouped[event["project_id"]].append(event)
    return grouped


def _raw_usage(log: Path) -> dict[str, int]:
    """Independent count: the sum of the per-call usage lines, by a plain regex."""
    sums = {"prompt": 0, "completion": 0}
    for side, value in _USAGE.findall(log.read_text(errors="replace")):
        if int(value) >= 0:
            sums[side] += int(value)
    return sums


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "ai").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_importing_all_logs_succeeds(imported, data):
    root, report = imported
    logs = sorted(data.rglob("*.log"))
    totals = report.totals()
    assert report.ok, [r.error for r in report.failed]
    assert totals["logs"] == len(logs) and totals["failed"] == 0
    # ExpenseEase_... 2.log is the same run as ExpenseEase_....log: imported once.
    (duplicate,) = [r for r in report.logs if r.status == "duplicate"]
    assert duplicate.file.endswith(" 2.log")
    assert duplicate.duplicate_of == "ExpenseEase_THUNLP_20230825093604"
    assert totals["projects"] == len(logs) - 1
    assert len(_by_project(root)) == len(logs) - 1


def test_token_totals_equal_the_usage_lines_and_post_info(imported, data):
    root, report = imported
    events = _by_project(root)
    checked_post = 0
    for result in report.logs:
        if result.status == "duplicate":
            continue
        log = Path(result.file)
        raw = _raw_usage(log)
        project = events[result.project_id]
        stages = [e for e in project if e["kind"] == "stage_execution"]
        assert sum(e.get("input_tokens", 0) for e in stages) == raw["prompt"], log.name
        assert sum(e.get("output_tokens", 0) for e in stages) == raw["completion"], log.name
        (outcome,) = [e for e in project if e["kind"] == "project_completed"]
        if raw["prompt"] or raw["completion"]:
            assert outcome["tokens_total"] == raw["prompt"] + raw["completion"], log.name
            assert result.tokens == outcome["tokens_total"]
        else:
            assert "tokens_total" not in outcome and result.tokens is None
        post = dict(_POST.findall(log.read_text(errors="replace").split("[Post Info]")[-1]))
        if "[Post Info]" in log.read_text(errors="replace") and int(post.get("prompt", -1)) >= 0:
            assert outcome["prompt_tokens_total"] == int(post["prompt"]), log.name
            assert outcome["completion_tokens_total"] == int(post["completion"]), log.name
            checked_post += 1
    assert checked_post >= 15  # the logs whose Post Info holds real figures


def test_every_imported_line_validates(imported):
    root, _ = imported
    report = validate_files(StoreLayout(root).raw_files())
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.duplicates == 0
    assert report.kinds["project_started"] == report.kinds["project_completed"] == 37


def test_reimport_adds_nothing(imported, data):
    root, _ = imported
    before = _tree_digest(root)
    again = import_chatdev([data], root=root)
    assert again.ok and again.totals()["events"] == 0
    assert {r.status for r in again.logs} == {"already_present", "duplicate"}
    assert _tree_digest(root) == before


def test_import_is_deterministic_and_uses_log_time_only(data, tmp_path):
    run = data / "Gomoku_HumanAgentInteraction_20230920135038"
    a = import_chatdev([run], root=tmp_path / "a" / ".autoforge")
    b = import_chatdev([run], root=tmp_path / "b" / ".autoforge")
    assert a.ok and b.ok
    assert _tree_digest(tmp_path / "a" / ".autoforge") == _tree_digest(
        tmp_path / "b" / ".autoforge"
    )
    events = _events(tmp_path / "a" / ".autoforge")
    assert all(e["timestamp"].startswith("2023-09-20T1") for e in events)


def test_minus_one_values_are_unknown_not_numbers(imported):
    root, report = imported
    events = _by_project(root)
    # ArtCanvas: Post Info says cost $0.000000 and -1 tokens/utterances: not recorded.
    (art,) = [
        e for e in events["ArtCanvas_THUNLP_20230825093558"] if e["kind"] == "project_completed"
    ]
    assert art["cost_estimated"] is True and art["token_cost_total"] > 0
    assert art["tokens_total"] == 20682
    for unknown in ("num_utterances", "num_self_reflections"):
        assert unknown not in art
    assert art["version_updates"] == 6 and art["env_lines"] == 0 and art["manual_lines"] == 43
    # pingpong: duration -1 in Post Info; the duration comes from the timestamps.
    (ping,) = [
        e for e in events["pingpong_THUNLP_20230817193956"] if e["kind"] == "project_completed"
    ]
    assert ping["time_to_completion"] == 398.0
    assert ping["token_cost_total"] == 0.134439 and ping["cost_estimated"] is False
    # A run that never got an answer from the API: no tokens, no cost, blocked.
    (gomoku,) = [
        e
        for e in events["Gomoku_DefaultOrganization_20231228115657"]
        if e["kind"] == "project_completed"
    ]
    assert "tokens_total" not in gomoku and "token_cost_total" not in gomoku
    assert gomoku["project_success"] == "blocked" and gomoku["chatdev_finished"] is False
    # No event anywhere carries a -1.
    for event in _events(root):
        assert all(v != -1 for v in event.values() if isinstance(v, int | float)), event


def test_stages_roles_models_durations_and_versions(imported):
    root, _ = imported
    events = _by_project(root)["gomokugameArtExample_THUNLP_20230831122822"]
    stages = [e for e in events if e["kind"] == "stage_execution"]
    assert {e["agent_model"] for e in stages} == {"GPT_4", "GPT_3_5_TURBO"}
    coding = next(e for e in stages if e["stage_id"] == "coding")
    assert coding["agent_role"] == "programmer"
    assert coding["chatdev_assistant_role"] == "Programmer"
    assert coding["counterpart_role"] == "chief_technology_officer"
    assert coding["duration_seconds"] >= 0 and coding["cost_estimated"] is True
    reviews = [e for e in stages if e["stage_id"] == "code_review_comment"]
    assert [e["attempt"] for e in reviews] == [e["chatdev_cycle"] + 1 for e in reviews]
    assert all(e["chatdev_composed_phase"] == "CodeReview" for e in reviews)
    pattern = re.compile(PROMPT_VERSION_PATTERN)
    assert all(pattern.match(e["prompt_version"]) for e in stages if "prompt_version" in e)
    started = next(e for e in events if e["kind"] == "project_started")
    assert started["recipe"].startswith("chatdev_") and started["task_prompt"]
    assert started["project_name"] == "gomokugame" and started["organization"]


def test_gates_and_human_feedback(imported):
    root, _ = imported
    events = _by_project(root)["Gomoku_HumanAgentInteraction_20230920135038"]
    gates = [e for e in events if e["kind"] == "gate_evaluation"]
    human = [g for g in gates if g["gate_id"] == "human_review"]
    assert [g["validation_result"] for g in human] == ["fail", "fail", "pass"]
    assert human[0]["validation_reason"] == "Please add a restart button."
    feedback = [e for e in events if e["kind"] == "downstream_feedback"]
    assert [f["feedback"] for f in feedback] == [
        "Please add a restart button.",
        "Please add a current status bar showing whose turn it is.",
    ]
    assert all(
        f["reporting_agent"] == "human" and f["target_agent"] == "programmer" for f in feedback
    )
    (test,) = [g for g in gates if g["gate_id"] == "software_test"]
    assert test["validation_result"] == "pass"
    reviews = [g for g in gates if g["gate_id"] == "code_review"]
    assert reviews and all(
        g["validation_reason"] for g in reviews if g["validation_result"] == "fail"
    )
    # A failing test report carries the traceback as the reason.
    poker = _by_project(root)["Poker1_DefaultOrganization_20231006035628"]
    failed = [
        e for e in poker if e.get("gate_id") == "software_test" and e["validation_result"] == "fail"
    ]
    assert failed and "Traceback" in failed[0]["validation_reason"]


def test_garbage_file_is_named_and_the_others_import(data, tmp_path, af_root):
    good = tmp_path / "in" / "ArtCanvas_THUNLP_20230825093558"
    shutil.copytree(data / good.name, good)
    garbage = tmp_path / "in" / "broken" / "garbage.log"
    garbage.parent.mkdir(parents=True)
    garbage.write_bytes(b"this is not\na ChatDev log\n\x01\x02")
    result = runner.invoke(app, ["import", "chatdev", str(tmp_path / "in"), "--format", "json"])
    assert result.exit_code == 1
    assert f"{garbage}: not a ChatDev log" in result.stderr
    report = orjson.loads(result.stdout)
    statuses = {Path(r["file"]).name: r["status"] for r in report["results"]}
    assert statuses == {"garbage.log": "failed", "ArtCanvas_THUNLP_20230825093558.log": "imported"}
    assert report["failed"] == 1 and report["events"] == 18
    assert validate_files(StoreLayout(af_root).raw_files()).ok


def test_price_table_can_be_extended_per_store_and_per_run(data, tmp_path, af_root):
    run = data / "ArtCanvas_THUNLP_20230825093558"
    af_root.mkdir(parents=True)
    (af_root / "prices.yaml").write_text("GPT_3_5_TURBO: {prompt: 1.0, completion: 2.0}\n")
    result = runner.invoke(app, ["import", "chatdev", str(run), "--format", "json"])
    assert result.exit_code == 0, result.output
    (log,) = orjson.loads(result.stdout)["results"]
    assert log["cost"] == pytest.approx(16189 * 1.0 / 1000 + 4493 * 2.0 / 1000)
    assert log["cost_estimated"] is True
    extra = tmp_path / "p.yaml"
    extra.write_text("prices:\n  ModelType.GPT_3_5_TURBO: {prompt: 0, completion: 0}\n")
    other = tmp_path / "other" / ".autoforge"
    result = runner.invoke(
        app,
        [
            "import",
            "chatdev",
            str(run),
            "--root",
            str(other),
            "--prices",
            str(extra),
            "--format",
            "json",
        ],
    )
    assert orjson.loads(result.stdout)["results"][0]["cost"] == 0
    extra.write_text("GPT_4: {prompt: cheap}\n")
    result = runner.invoke(app, ["import", "chatdev", str(run), "--prices", str(extra)])
    assert result.exit_code == 1 and "GPT_4" in result.stderr


def test_prompt_versions_are_stable_per_role(data, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(data / "ArtCanvas_THUNLP_20230825093558", folder)
    before = ChatDevConfigs.load(folder)
    assert before.prompt_version("Programmer") == ChatDevConfigs.load(folder).prompt_version(
        "Programmer"
    )
    # Reformatting the JSON changes nothing; editing one role's prompt changes its major.
    roles = orjson.loads((folder / "RoleConfig.json").read_bytes())
    roles["Code Reviewer"] = [*roles["Code Reviewer"], "Be strict."]
    (folder / "RoleConfig.json").write_bytes(orjson.dumps(roles, option=orjson.OPT_INDENT_2))
    after = ChatDevConfigs.load(folder)
    assert after.prompt_version("Programmer") == before.prompt_version("Programmer")
    old, new = before.prompt_version("Code Reviewer"), after.prompt_version("Code Reviewer")
    assert old and new and old != new
    assert old.split(".")[2] == new.split(".")[2]  # same minor: the phases did not change
    assert after.prompt_version("Nobody") is None


def test_log_dates_are_day_before_month_and_project_ids_are_safe(data):
    run = parse_log(
        data / "Maze_THUNLP_20231006154305" / "maze_DefaultOrganization_20231006154305.log"
    )
    assert run.start.isoformat() == "2023-10-06T15:43:05+00:00"
    folder = data / "MBBusinessCardGen_jc_  ModelBest1024_20231024154846"
    (log,) = folder.glob("*.log")
    assert project_id_for(log) == "MBBusinessCardGen_jc_ModelBest1024_20231024154846"


def test_a_copied_log_imported_alone_keeps_its_own_id_and_is_not_counted_twice(data, af_root):
    folder = data / "ExpenseEase_THUNLP_20230825093604"
    copy = folder / "ExpenseEase_THUNLP_20230825093604 2.log"
    result = runner.invoke(app, ["import", "chatdev", str(copy), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "1 logs, 1 projects, 19 events added" in " ".join(result.stdout.split())
    again = import_chatdev([folder], root=af_root)
    assert {Path(r.file).name: r.status for r in again.logs} == {
        "ExpenseEase_THUNLP_20230825093604.log": "duplicate",
        copy.name: "already_present",
    }
    assert list(_by_project(af_root)) == ["ExpenseEase_THUNLP_20230825093604_2"]


def test_stage_cost_estimates_add_up_to_the_cost_the_log_states(imported):
    root, _ = imported
    checked = 0
    for project_id, events in _by_project(root).items():
        (outcome,) = [e for e in events if e["kind"] == "project_completed"]
        stages = sum(e.get("total_cost", 0) for e in events if e["kind"] == "stage_execution")
        if outcome.get("cost_estimated") is True:
            assert outcome["token_cost_total"] == pytest.approx(stages, abs=1e-5), project_id
        elif outcome.get("cost_estimated") is False and not project_id.startswith("gomokugame"):
            # Priced as ChatDev priced it (gpt-3.5-turbo-16k for some 2023 runs). The
            # GPT-4 run's stated cost matches no price list, so it is not compared.
            assert stages == pytest.approx(outcome["token_cost_total"], rel=0.005), project_id
            checked += 1
    assert checked >= 14


def test_train_on_the_imported_runs_writes_a_report(imported, tmp_path):
    import shutil
    from datetime import UTC, datetime

    from autoforge_learn.train import train
    from autoforge_learn.workspace import Workspace

    root, _ = imported
    copy = tmp_path / ".autoforge"
    shutil.copytree(root, copy)
    with Workspace(copy) as ws:
        result = train(ws, now=datetime(2025, 11, 3, tzinfo=UTC))
    text = result.report.read_text()
    assert "## Executive summary" in text and result.report_html.exists()
    assert result.projects == 37
    # ChatDev's gates (code review, tests) are what the report learns from.
    assert any(f.key.get("gate_id") == "code_review" for f in result.findings)


def test_a_number_too_large_for_a_float_is_reported_not_silently_dropped(data, tmp_path):
    run = tmp_path / "in" / "CurrencyWiz_THUNLP_20230825101851"
    shutil.copytree(data / run.name, run)
    log = run / f"{run.name}.log"
    huge = "9" * 400
    log.write_text(log.read_text().replace("**cost**=$0.000000", f"**cost**=${huge}"))
    root = tmp_path / ".autoforge"
    report = import_chatdev([run], root=root)
    (result,) = report.logs
    assert result.status == "imported"
    assert any("cost = 999999999999...(400 characters) is not a usable number" in p
               for p in result.problems), result.problems
