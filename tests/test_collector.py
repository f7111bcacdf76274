from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from autoforge_learn import Collector
from autoforge_learn.schema import EventError, parse_line
from autoforge_learn.store import StoreLayout, find_root, iter_lines
from autoforge_learn.store.validate import TORN_LINE, validate_files


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _gate(c: Collector, project_id: str = "P1", **fields):
    fields.setdefault("gate_id", "api_contract_present")
    fields.setdefault("validation_result", "pass")
    return c.on_gate_evaluation(project_id=project_id, **fields)


def test_files_follow_the_spec_layout(af_root):
    c = Collector(af_root)
    when = datetime(2025, 10, 29, 14, 30, tzinfo=UTC)
    _gate(c, "ABC123", timestamp=when)
    c.on_agent_stage_completion(
        project_id="ABC123", stage_id="architecture", agent_role="architect", timestamp=when
    )
    c.on_human_approval(
        project_id="ABC123",
        decision_type="tech_stack",
        agent_recommendation="postgres",
        human_decision="postgres",
        timestamp=when,
    )
    c.on_project_completion(project_id="ABC123", project_success="shipped", timestamp=when)
    month = af_root / "ai" / "training_data" / "raw" / "2025-10"
    assert sorted(p.name for p in month.iterdir()) == [
        "project_ABC123_execution.jsonl",
        "project_ABC123_feedback.jsonl",
        "project_ABC123_gates.jsonl",
        "project_ABC123_summary.json",
    ]
    approval = _lines(month / "project_ABC123_feedback.jsonl")[0]
    assert approval["decision_aligned"] is True
    assert approval["timestamp"] == "2025-10-29T14:30:00Z"


def test_a_project_stays_in_its_first_month(af_root):
    c = Collector(af_root)
    _gate(c, timestamp=datetime(2025, 9, 30, 23, 59, tzinfo=UTC))
    _gate(c, timestamp=datetime(2025, 10, 1, 0, 1, tzinfo=UTC))
    # A new collector (another process, later) finds the project's existing month.
    _gate(Collector(af_root), timestamp=datetime(2025, 11, 2, tzinfo=UTC))
    files = StoreLayout(af_root).raw_files()
    assert [f.parent.name for f in files] == ["2025-09"]
    assert len(_lines(files[0])) == 3


def test_root_discovery_order(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOFORGE_HOME", raising=False)
    nested = tmp_path / "repo" / "src" / "pkg"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert find_root() == nested / ".autoforge"  # nothing found: ./.autoforge
    (tmp_path / "repo" / ".autoforge").mkdir()
    assert find_root() == tmp_path / "repo" / ".autoforge"  # nearest upwards
    monkeypatch.setenv("AUTOFORGE_HOME", str(tmp_path / "env-home"))
    assert find_root() == tmp_path / "env-home"
    assert find_root(tmp_path / "explicit") == tmp_path / "explicit"
    assert Collector().root == tmp_path / "env-home"


def test_context_managers_time_stages_and_fill_the_outcome(af_root):
    t0 = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
    now = [t0]

    def clock():
        return now[0]

    c = Collector(af_root, clock=clock)
    with c.project(project_id="ABC123", recipe="gis_investment_v1", client_domain="fintech") as p:
        with p.stage(
            stage_id="architecture",
            agent_role="architect",
            agent_model="claude-3-5-sonnet",
            prompt_version="architect.v2.3",
        ) as s:
            g1 = s.gate(
                gate_id="api_contract_present", validation_result="fail", validation_reason="x"
            )
            g2 = s.gate(gate_id="api_contract_present", validation_result="pass")
            s.add_usage(input_tokens=1000, output_tokens=500, total_cost=0.02)
            s.add_usage(input_tokens=10, output_tokens=5, total_cost=0.01)
            now[0] = t0 + timedelta(minutes=30)
        with p.stage(
            stage_id="engineering", agent_role="engineer", prompt_version="engineer.v1.0"
        ) as e:
            fb = e.downstream_feedback(
                feedback="API contract missing error codes", severity="major"
            )
            e.update(lines_of_code=120)
            now[0] = t0 + timedelta(hours=2)
        p.approval(
            decision_type="feature_priority",
            agent_recommendation="search first",
            human_decision="billing first",
            options_offered=["search first", "billing first"],
        )
        outcome = p.complete(project_success="shipped", quality_score=91)

    assert (g1.retry_attempt, g2.retry_attempt) == (1, 2)
    assert g1.prompt_version == "architect.v2.3" and g1.stage == "architecture"
    arch, eng = p.stages
    assert arch.duration_seconds == 1800 and arch.succeeded is True
    assert (arch.input_tokens, arch.output_tokens) == (1010, 505)
    assert arch.total_cost == pytest.approx(0.03)
    assert eng.upstream_stage == "architecture" and eng.upstream_agent_role == "architect"
    assert (fb.target_agent, fb.target_stage, fb.reporting_agent) == (
        "architect",
        "architecture",
        "engineer",
    )
    assert outcome.time_to_completion == 7200
    assert outcome.tokens_total == 1515
    assert outcome.token_cost_total == pytest.approx(0.03)
    assert outcome.agent_decisions_overridden == 1
    assert outcome.time_to_first_prototype == 7200
    summary = orjson.loads(StoreLayout(af_root).summary_file("ABC123", "2025-10").read_bytes())
    assert summary["recipe"] == "gis_investment_v1" and summary["recipe_version"] == "v1"
    assert summary["outcome"]["quality_score"] == 91
    assert summary["event_counts"] == {
        "downstream_feedback": 1,
        "gate_evaluation": 2,
        "human_approval": 1,
        "project_completed": 1,
        "project_started": 1,
        "stage_execution": 2,
    }


def test_a_stage_that_raises_is_recorded_as_failed(af_root):
    c = Collector(af_root)
    with c.project(project_id="P1", recipe="web_app_v1") as p:
        with pytest.raises(RuntimeError):
            with p.stage(stage_id="qa", agent_role="qa"):
                raise RuntimeError("model timed out")
    assert p.stages[0].succeeded is False
    assert p.stages[0].error == "RuntimeError: model timed out"


def test_invalid_values_name_the_field_and_write_nothing(af_root):
    c = Collector(af_root)
    with pytest.raises(EventError) as info:
        _gate(c, validation_result="maybe", retry_attempt=0)
    assert {e.field for e in info.value.errors} == {"validation_result", "retry_attempt"}
    assert not af_root.exists() or not StoreLayout(af_root).raw_files()


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "..", "", "x\x00y", "new\nline"])
def test_path_traversal_project_ids_are_refused_and_nothing_is_written(tmp_path, bad):
    root = tmp_path / "store" / ".autoforge"
    c = Collector(root)
    with pytest.raises((ValueError, EventError)):
        _gate(c, bad)
    with pytest.raises((ValueError, EventError)):
        c.project(project_id=bad, recipe="r_v1").__enter__()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


def test_survey_is_sampled_stably_at_the_configured_rate(af_root):
    c = Collector(af_root)
    answers = dict(
        agent_helpfulness_overall=4,
        agent_decision_quality=4,
        gate_frustration_level=2,
        would_use_again=True,
    )
    recorded = [c.on_human_survey(project_id=f"P{i}", **answers) is not None for i in range(2000)]
    share = sum(recorded) / len(recorded)
    assert 0.77 < share < 0.83
    again = [c.on_human_survey(project_id=f"P{i}", **answers) is not None for i in range(50)]
    assert again == recorded[:50]
    everyone = Collector(af_root, survey_sample_rate=1.0)
    assert everyone.on_human_survey(project_id="P_any", **answers) is not None
    with pytest.raises(ValueError):
        Collector(af_root, survey_sample_rate=1.5)


def test_redaction_keeps_secrets_off_disk(af_root):
    secret = "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    c = Collector(af_root, redact=True)
    c.on_agent_stage_completion(
        project_id="P1",
        stage_id="engineering",
        agent_role="engineer",
        output_raw=f"export ANTHROPIC_API_KEY={secret}\npassword: hunter2hunter2",
        prompt_template=f"Use key {secret} and Bearer abcdefghijklmnopqrstuvwxyz",
    )
    text = b"".join(p.read_bytes() for p in af_root.rglob("*") if p.is_file())
    assert secret.encode() not in text
    assert b"hunter2hunter2" not in text
    assert b"abcdefghijklmnopqrstuvwxyz" not in text
    assert b"[REDACTED]" in text


def test_custom_redaction_hook_and_config_default(af_root):
    c = Collector(af_root, redact=lambda s: s.replace("ACME", "<client>"))
    event = c.on_agent_stage_completion(
        project_id="P1", stage_id="product", agent_role="product", output_raw="PRD for ACME"
    )
    assert event.output_raw == "PRD for <client>"
    af_root.mkdir(parents=True, exist_ok=True)
    (af_root / "config.yaml").write_text("collect:\n  redact_secrets: true\n")
    event = Collector(af_root).on_agent_stage_completion(
        project_id="P1", stage_id="product", agent_role="product", output_raw="token=abcd1234efgh"
    )
    assert "abcd1234efgh" not in (event.output_raw or "")


def test_threads_never_interleave_or_lose_lines(af_root):
    c = Collector(af_root)
    per_thread, threads = 1500, 8
    big = "x" * 5000  # lines larger than a pipe buffer's atomic size

    def work(n: int) -> None:
        for i in range(per_thread):
            _gate(c, validation_reason=f"{n}-{i}-{big}")

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    (path,) = StoreLayout(af_root).raw_files()
    lines = path.read_bytes().splitlines()
    assert len(lines) == per_thread * threads
    ids = {parse_line(line).event_id for line in lines}
    assert len(ids) == len(lines)


def _write_gates(root: str, worker: int, count: int) -> None:
    c = Collector(root)
    for i in range(count):
        c.on_gate_evaluation(
            project_id="SHARED",
            gate_id="g",
            validation_result="fail",
            validation_reason=f"worker {worker} event {i} " + "y" * (i % 700),
        )
    c.close()


@pytest.mark.slow
def test_four_processes_writing_one_project_leave_every_line_intact(tmp_path):
    root = str(tmp_path / ".autoforge")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_gates, args=(root, w, 5000)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    (path,) = StoreLayout(Path(root)).raw_files()
    report = validate_files([path])
    assert report.ok, report.problems[:3]
    assert report.valid == 20_000 and report.lines == 20_000
    seen = {(w, i) for w in range(4) for i in range(5000)}
    found = set()
    for line in path.read_bytes().splitlines():
        words = orjson.loads(line)["validation_reason"].split()
        found.add((int(words[1]), int(words[3])))
    assert found == seen


def test_a_torn_last_line_is_reported_and_never_glued_to_new_lines(af_root):
    c = Collector(af_root)
    for i in range(3):
        _gate(c, validation_reason=f"good {i}")
    (path,) = StoreLayout(af_root).raw_files()
    with open(path, "ab") as handle:  # a writer that died mid-line
        handle.write(b'{"event_id": "torn", "kind": "gate_eval')
    torn = list(iter_lines(path))[-1]
    assert torn.complete is False
    report = validate_files([path])
    assert [(p.lineno, p.message) for p in report.problems] == [(4, TORN_LINE)]
    # Another process appends afterwards: its line must stay whole.
    _gate(Collector(af_root), validation_reason="after the tear")
    lines = path.read_bytes().splitlines()
    assert len(lines) == 5
    assert orjson.loads(lines[4])["validation_reason"] == "after the tear"
    report = validate_files([path])
    assert report.valid == 4
    assert [p.lineno for p in report.problems] == [4]


@pytest.mark.slow
def test_a_kill_mid_write_never_damages_earlier_lines(tmp_path):
    root = tmp_path / ".autoforge"
    script = textwrap.dedent(
        f"""
        from autoforge_learn import Collector
        c = Collector({str(root)!r})
        i = 0
        while True:
            c.on_gate_evaluation(project_id="K", gate_id="g", validation_result="fail",
                                 validation_reason=str(i) + "z" * 200_000)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = 200
        for _ in range(deadline):
            files = list(root.rglob("*.jsonl"))
            if files and files[0].stat().st_size > 5_000_000:
                break
            threading.Event().wait(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    (path,) = StoreLayout(root).raw_files()
    report = validate_files([path])
    assert report.valid >= 10
    # At most the very last line can be torn; every earlier line is intact.
    assert all(p.message == TORN_LINE for p in report.problems)
    assert report.lines - report.valid <= 1


def test_many_projects_from_many_threads_beyond_the_open_file_cache(af_root):
    c = Collector(af_root)

    def work(n: int) -> None:
        for i in range(400):
            _gate(c, f"P{(n * 7 + i) % 150}", validation_reason=f"{n}-{i}")

    pool = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    report = validate_files(StoreLayout(af_root).raw_files())
    assert report.ok and report.valid == 2400


def test_on_error_log_drops_bad_events_counts_and_reports_them(af_root, caplog) -> None:
    import logging

    from autoforge_learn.collect import Collector
    from autoforge_learn.schema.parse import EventError

    with Collector(af_root) as strict:  # the default raises inside the host pipeline
        with pytest.raises(EventError, match="severity"):
            strict.on_downstream_agent_feedback(project_id="p1", reporting_agent="qa",
                                                feedback="x", severity="huge")
    caplog.set_level(logging.WARNING, logger="autoforge_learn")
    c = Collector(af_root, on_error="log")
    assert c.on_downstream_agent_feedback(project_id="p1", reporting_agent="qa",
                                          feedback="x", severity="huge") is None
    assert c.on_gate_evaluation(project_id="bad/id", gate_id="g",
                                validation_result="pass") is None
    kept = c.on_gate_evaluation(project_id="p1", gate_id="g", validation_result="pass")
    assert kept is not None and kept.gate_id == "g"
    assert c.dropped == {"downstream_feedback": 1, "gate_evaluation": 1}
    c.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("dropped a downstream_feedback event of project 'p1'" in m for m in messages)
    assert any("2 events dropped so far" in m for m in messages)
    with pytest.raises(ValueError, match="on_error"):
        Collector(af_root, on_error="ignore")
