"""The selection: its documented order of application, and the same events everywhere.

``build_store`` is a hand-built store whose projects separate the possible readings of
each option (see the order in :mod:`autoforge_learn.selection`'s docstring). Every
expected set of events below is written out by hand from that store; each test runs on
DuckDB and on PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from autoforge_learn.aggregate import aggregate
from autoforge_learn.cli import app
from autoforge_learn.collect import Collector
from autoforge_learn.dataset import load_dataset
from autoforge_learn.dataset.metrics import metric_values
from autoforge_learn.errors import UsageError
from autoforge_learn.export.raw import export_events, read_events
from autoforge_learn.label.run import label_events
from autoforge_learn.patterns.detect import detect_patterns
from autoforge_learn.selection import Selection, parse_moment, version_role
from autoforge_learn.workspace import Workspace
from tests.helpers import module_workspace


def at(day: str, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A moment of 2025 (``day`` is MM-DD), UTC."""
    return datetime(2025, int(day[:2]), int(day[3:]), hour, minute, second, tzinfo=UTC)


def build_store(root: Path) -> None:
    """Six projects (start = first event; R is the recipe):

    ====  ===================  =========  ==============================================
    id    R                    start      events (after the start)
    ====  ===================  =========  ==============================================
    A     web_app_v2           09-30      10-03 only: architect (architect.v1.0) stage and
                                          gate, engineer (engineer.v1.0) stage and gate,
                                          feedback *reported by the engineer about the
                                          architect*, tests, scan, performance, an
                                          escalation (engineer), a survey, completion at
                                          23:59:59
    B     api_v1               10-01      10-01 only: architect (architect.v1.1) stage and
                                          gate, completion
    C     web_app              09-29      10-04 only: architect stage (architect.v1.1) at
                                          00:00:00 sharp, architect gate *without a
                                          version*, an approval (engineer, engineer.v1.1),
                                          completion
    D     web_app_mobile_v1    09-27      09-27: engineer stage (engineer.v1.1), feedback
                                          *reported by qa about the engineer*
    T1    api_v2               09-28      09-28: qa gate (qa.v1.0)
    T2    api_v2               09-28      the same as T1 (the same start: a tie)
    ====  ===================  =========  ==============================================

    Most recent start first: B, A, C, then T2 and T1 (tie: larger id first), then D.
    """
    c = Collector(root, survey_sample_rate=1.0)

    def stage(pid: str, eid: str, role: str, version: str, when: datetime) -> None:
        c.on_agent_stage_completion(
            project_id=pid, event_id=eid, stage_id=role, agent_role=role,
            prompt_version=version, input_tokens=100, output_tokens=50, total_cost=0.1,
            duration_seconds=60, succeeded=True, timestamp=when,
        )

    def gate(pid: str, eid: str, role: str, version: str | None, result: str,
             when: datetime) -> None:
        c.on_gate_evaluation(
            project_id=pid, event_id=eid, stage=role, agent_role=role, prompt_version=version,
            gate_id=f"{role}_gate", validation_result=result, timestamp=when,
        )

    c.on_project_start(project_id="A", event_id="A-start", recipe="web_app_v2",
                       client_domain="saas", timestamp=at("09-30", 8))
    stage("A", "A-arch-stage", "architect", "architect.v1.0", at("10-03", 9))
    gate("A", "A-arch-gate", "architect", "architect.v1.0", "pass", at("10-03", 10))
    stage("A", "A-eng-stage", "engineer", "engineer.v1.0", at("10-03", 11))
    gate("A", "A-eng-gate", "engineer", "engineer.v1.0", "fail", at("10-03", 12))
    c.on_downstream_agent_feedback(
        project_id="A", event_id="A-fb", reporting_agent="engineer", target_agent="architect",
        target_stage="architect", feedback="no error codes", severity="major",
        timestamp=at("10-03", 13),
    )
    c.on_test_execution(project_id="A", event_id="A-tests", tests_executed=10, tests_passed=9,
                        test_coverage_percent=80, timestamp=at("10-03", 14))
    c.on_security_scan(project_id="A", event_id="A-scan", vulnerabilities_found=1,
                       timestamp=at("10-03", 15))
    c.on_performance_measurement(project_id="A", event_id="A-perf", within_slo=True,
                                 timestamp=at("10-03", 16))
    c.on_escalation(project_id="A", event_id="A-esc", reason="stuck", agent_role="engineer",
                    stage="engineer", gate_id="engineer_gate", resolved=True,
                    timestamp=at("10-03", 17))
    c.on_human_survey(project_id="A", event_id="A-survey", agent_helpfulness_overall=4,
                      agent_decision_quality=4, gate_frustration_level=2, would_use_again=True,
                      timestamp=at("10-03", 18))
    c.on_project_completion(project_id="A", event_id="A-done", project_success="shipped",
                            quality_score=90, timestamp=at("10-03", 23, 59, 59))

    c.on_project_start(project_id="B", event_id="B-start", recipe="api_v1",
                       client_domain="fintech", timestamp=at("10-01", 8))
    stage("B", "B-arch-stage", "architect", "architect.v1.1", at("10-01", 9))
    gate("B", "B-arch-gate", "architect", "architect.v1.1", "fail", at("10-01", 10))
    c.on_project_completion(project_id="B", event_id="B-done", project_success="blocked",
                            quality_score=40, timestamp=at("10-01", 20))

    c.on_project_start(project_id="C", event_id="C-start", recipe="web_app",
                       client_domain="saas", timestamp=at("09-29", 8))
    stage("C", "C-arch-stage", "architect", "architect.v1.1", at("10-04", 0))
    gate("C", "C-arch-gate", "architect", None, "pass", at("10-04", 1))
    c.on_human_approval(
        project_id="C", event_id="C-approval", decision_type="tech_stack",
        agent_role="engineer", prompt_version="engineer.v1.1", agent_recommendation="pg",
        human_decision="mysql", timestamp=at("10-04", 2),
    )
    c.on_project_completion(project_id="C", event_id="C-done", project_success="alpha_ready",
                            quality_score=70, timestamp=at("10-04", 5))

    c.on_project_start(project_id="D", event_id="D-start", recipe="web_app_mobile_v1",
                       client_domain="ecommerce", timestamp=at("09-27", 8))
    stage("D", "D-eng-stage", "engineer", "engineer.v1.1", at("09-27", 9))
    c.on_downstream_agent_feedback(
        project_id="D", event_id="D-fb", reporting_agent="qa", target_agent="engineer",
        target_stage="engineer", feedback="flaky", severity="minor", timestamp=at("09-27", 10),
    )
    for pid in ("T1", "T2"):
        c.on_project_start(project_id=pid, event_id=f"{pid}-start", recipe="api_v2",
                           client_domain="other", timestamp=at("09-28", 8))
        gate(pid, f"{pid}-qa-gate", "qa", "qa.v1.0", "pass", at("09-28", 9))
    c.close()


A_ALL = {
    "A-start", "A-arch-stage", "A-arch-gate", "A-eng-stage", "A-eng-gate", "A-fb", "A-tests",
    "A-scan", "A-perf", "A-esc", "A-survey", "A-done",
}
A_AFTER_START = A_ALL - {"A-start"}  # everything of A happens on 10-03
A_WIDE = {"A-start", "A-tests", "A-scan", "A-perf", "A-survey", "A-done"}  # no agent role
A_ARCHITECT = {"A-arch-stage", "A-arch-gate", "A-fb"}  # A-fb judges the architect
A_ENGINEER = {"A-eng-stage", "A-eng-gate", "A-esc"}
B_ALL = {"B-start", "B-arch-stage", "B-arch-gate", "B-done"}
C_ALL = {"C-start", "C-arch-stage", "C-arch-gate", "C-approval", "C-done"}
C_ON_10_04 = C_ALL - {"C-start"}
D_ALL = {"D-start", "D-eng-stage", "D-fb"}
T1_ALL = {"T1-start", "T1-qa-gate"}
T2_ALL = {"T2-start", "T2-qa-gate"}
EVERYTHING = A_ALL | B_ALL | C_ALL | D_ALL | T1_ALL | T2_ALL

#: (options, the selected projects most recent start first, the selected event ids).
CASES: list[tuple[dict[str, Any], list[str], set[str]]] = [
    ({}, ["B", "A", "C", "T2", "T1", "D"], EVERYTHING),
    # -- the order: window (2) before last N (3), last N by the real start ------------
    # since 10-02 leaves A (10-03) and C (10-04); of those A started last (09-30 > 09-29).
    # Last N first would pick B and end empty; a start measured inside the window (A
    # 10-03, C 10-04) would pick C.
    ({"since": "2025-10-02", "last_projects": 1}, ["A"], A_AFTER_START),
    ({"since": "2025-10-02"}, ["A", "C"], A_AFTER_START | C_ON_10_04),
    ({"last_projects": 1}, ["B"], B_ALL),
    # -- the window ----------------------------------------------------------------------
    # until a date includes that whole day (A-done at 23:59:59) and nothing after it
    # (C's stage at 10-04 00:00:00 sharp); C keeps its start (09-29) and stays selected
    ({"until": "2025-10-03"}, ["B", "A", "C", "T2", "T1", "D"], EVERYTHING - C_ON_10_04),
    # until a time is exclusive: A-done (23:59:59) is out
    ({"until": "2025-10-03T23:59:59Z"}, ["B", "A", "C", "T2", "T1", "D"],
     EVERYTHING - C_ON_10_04 - {"A-done"}),
    # since is inclusive: C's stage at 10-04 00:00:00 is in
    ({"since": "2025-10-04"}, ["C"], C_ON_10_04),
    ({"since": "2025-10-02", "until": "2025-10-03"}, ["A"], A_AFTER_START),
    ({"since": "2025-10-03T12:00:00+02:00", "until": "2025-10-03T13:00Z"}, ["A"],
     {"A-arch-gate", "A-eng-stage", "A-eng-gate"}),  # 10:00 UTC (incl.) to 13:00 (excl.)
    ({"until": "2025-09-27"}, ["D"], D_ALL),
    # -- last N: ties go to the larger id; D (the oldest) is the only one left out -------
    ({"last_projects": 2}, ["B", "A"], B_ALL | A_ALL),
    ({"last_projects": 4}, ["B", "A", "C", "T2"], B_ALL | A_ALL | C_ALL | T2_ALL),
    ({"last_projects": 5}, ["B", "A", "C", "T2", "T1"], EVERYTHING - D_ALL),
    ({"last_projects": 50}, ["B", "A", "C", "T2", "T1", "D"], EVERYTHING),
    # -- recipe and recipe family ----------------------------------------------------
    ({"recipe": "web_app"}, ["A", "C"], A_ALL | C_ALL),  # not web_app_mobile_v1
    ({"recipe": "web_app_v2"}, ["A"], A_ALL),
    ({"recipe": "api"}, ["B", "T2", "T1"], B_ALL | T1_ALL | T2_ALL),
    ({"recipe": "web"}, [], set()),
    ({"recipe": "web_app_mobile"}, ["D"], D_ALL),
    # -- roles: project-wide events stay; feedback counts for the judged role ---------
    # C has an engineer approval; D's feedback judges the engineer; A-fb (reported by the
    # engineer) judges the architect and goes
    ({"roles": ["engineer"]}, ["A", "C", "D"],
     A_WIDE | A_ENGINEER | {"C-start", "C-approval", "C-done"} | D_ALL),
    ({"roles": ["architect"]}, ["B", "A", "C"],
     A_WIDE | A_ARCHITECT | B_ALL | {"C-start", "C-arch-stage", "C-arch-gate", "C-done"}),
    # D-fb is reported by qa but judges the engineer: D is no qa project
    ({"roles": ["qa"]}, ["T2", "T1"], T1_ALL | T2_ALL),
    ({"roles": ["architect", "qa"]}, ["B", "A", "C", "T2", "T1"],
     A_WIDE | A_ARCHITECT | B_ALL | {"C-start", "C-arch-stage", "C-arch-gate", "C-done"}
     | T1_ALL | T2_ALL),
    # -- prompt versions: imply the role; that role's events without a version stay ----
    # C's architect gate names no version and stays; C's engineer approval goes (the
    # role filter is the implied architect)
    ({"prompt_versions": ["architect.v1.1"]}, ["B", "C"],
     B_ALL | {"C-start", "C-arch-stage", "C-arch-gate", "C-done"}),
    # A-fb judges the architect and names no version: it stays with architect.v1.0
    ({"prompt_versions": ["architect.v1.0"]}, ["A"], A_WIDE | A_ARCHITECT),
    # two versions of two roles: A's architect.v1.0 events go (another version of a
    # named role); C's engineer.v1.1 approval goes (the same); versionless ones stay
    ({"prompt_versions": ["architect.v1.1", "engineer.v1.0"]}, ["B", "A", "C"],
     A_WIDE | A_ENGINEER | {"A-fb"} | B_ALL | {"C-start", "C-arch-stage", "C-arch-gate",
                                               "C-done"}),
    # a role named as well: its events stay whatever their version (C's approval)
    ({"roles": ["engineer"], "prompt_versions": ["architect.v1.1"]}, ["B", "C"], B_ALL | C_ALL),
    # roles and versions each narrow the projects (step 1): T1/T2 have qa events but
    # no architect.v1.1 event, so they are out
    ({"roles": ["qa"], "prompt_versions": ["architect.v1.1"]}, ["B", "C"],
     B_ALL | {"C-start", "C-arch-stage", "C-arch-gate", "C-done"}),
    # an unused version selects nothing
    ({"prompt_versions": ["architect.v9.0"]}, [], set()),
    # -- project ids ----------------------------------------------------------------------
    ({"project_ids": ["A", "D"]}, ["A", "D"], A_ALL | D_ALL),
    ({"project_ids": ["nope"]}, [], set()),
    # -- combinations ---------------------------------------------------------------------
    # recipe (1) before last N (3): of web_app's A and C, A started last; last N first
    # would pick B and end empty
    ({"recipe": "web_app", "last_projects": 1}, ["A"], A_ALL),
    # roles (1) before last N (3): of the engineer projects A, C, D, A started last
    ({"roles": ["engineer"], "last_projects": 1}, ["A"], A_WIDE | A_ENGINEER),
    ({"project_ids": ["A", "D"], "last_projects": 1}, ["A"], A_ALL),
    ({"project_ids": ["B", "C"], "recipe": "web_app"}, ["C"], C_ALL),
    # D has no event in the window: it drops out
    ({"project_ids": ["D"], "since": "2025-10-02"}, [], set()),
    ({"roles": ["architect"], "since": "2025-10-02"}, ["A", "C"],
     A_ARCHITECT | (A_WIDE - {"A-start"}) | {"C-arch-stage", "C-arch-gate", "C-done"}),
    # the version's project is chosen over all time (step 1) and then keeps only the
    # window's events (step 2): C stays with its completion alone (see the report)
    ({"prompt_versions": ["architect.v1.1"], "since": "2025-10-04T03:00Z"}, ["C"], {"C-done"}),
    ({"recipe": "api", "until": "2025-09-30", "last_projects": 1}, ["T2"], T2_ALL),
    ({"recipe": "web_app", "roles": ["engineer"], "since": "2025-10-03",
      "until": "2025-10-03", "last_projects": 2}, ["A"], (A_WIDE - {"A-start"}) | A_ENGINEER),
]
CASE_IDS = [",".join(f"{k}={v}" for k, v in opts.items()) or "everything" for opts, _, _ in CASES]


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw files of :func:`build_store`."""
    root = tmp_path_factory.mktemp("selection") / ".autoforge"
    build_store(root)
    return root


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def shared_ws(request: pytest.FixtureRequest, store_root: Path) -> Iterator[Workspace]:
    """One workspace per engine over :func:`build_store`, for the tests that only read
    (an index per test would cost most of this module's time)."""
    yield from module_workspace(request.param, store_root)


@pytest.fixture
def root(store_root: Path, tmp_path: Path) -> Path:
    """A copy of the store, for a test that opens its own workspaces."""
    import shutil

    target = tmp_path / ".autoforge"
    shutil.copytree(store_root, target, ignore=shutil.ignore_patterns("index.duckdb*"))
    return target


def index_ids(ws: Workspace, selection: Selection) -> set[str]:
    """The event ids ``Selection.events`` picks on the index."""
    return set(selection.events(ws.events()).event_id.execute().tolist())


def raw_ids(ws: Workspace, selection: Selection) -> set[str]:
    """The event ids ``ResolvedSelection.matches`` picks among the raw files' events."""
    events, _ = read_events(ws.root, chosen=ws.resolve(selection))
    return {e.event_id for e in events}


def test_store_is_as_documented(store_root: Path) -> None:
    """The store holds exactly the events the cases are written against."""
    events, report = read_events(store_root)
    assert {e.event_id for e in events} == EVERYTHING
    assert len(events) == len(EVERYTHING) and not report.problems


@pytest.mark.parametrize(("options", "projects", "expected"), CASES, ids=CASE_IDS)
def test_order_of_application(
    shared_ws: Workspace, options: dict[str, Any], projects: list[str], expected: set[str]
) -> None:
    ws = shared_ws
    selection = Selection.build(**options)
    chosen = selection.projects(ws.events()).execute()
    ordered = chosen.sort_values(["started", "project_id"], ascending=False)
    assert ordered["project_id"].tolist() == projects
    assert index_ids(ws, selection) == expected
    assert raw_ids(ws, selection) == expected


def test_start_is_the_first_event(shared_ws: Workspace) -> None:
    """A project's start is its first event, wherever the window lies."""
    ws = shared_ws
    chosen = Selection.build(since="2025-10-02").projects(ws.events()).execute()
    starts = dict(zip(chosen["project_id"], chosen["started"], strict=True))
    assert {k: v.isoformat() for k, v in starts.items()} == {
        "A": "2025-09-30T08:00:00", "C": "2025-09-29T08:00:00"}


# -- the same selection everywhere -----------------------------------------------------

KIND_OF = {  # the kind of each event, by its id's suffix
    "start": "project_started", "stage": "stage_execution", "gate": "gate_evaluation",
    "fb": "downstream_feedback", "tests": "test_results", "scan": "security_scan",
    "perf": "performance_metrics", "esc": "escalation", "survey": "human_survey",
    "done": "project_completed", "approval": "human_approval",
}
ROLE_OF = {  # the role each agent event is counted for (the judged one for feedback)
    "A-arch-stage": "architect", "A-arch-gate": "architect", "A-fb": "architect",
    "A-eng-stage": "engineer", "A-eng-gate": "engineer", "A-esc": "engineer",
    "B-arch-stage": "architect", "B-arch-gate": "architect", "C-arch-stage": "architect",
    "C-arch-gate": "architect", "C-approval": "engineer", "D-eng-stage": "engineer",
    "D-fb": "engineer", "T1-qa-gate": "qa", "T2-qa-gate": "qa",
}
VERSION_OF = {
    "A-arch-stage": "architect.v1.0", "A-arch-gate": "architect.v1.0",
    "A-eng-stage": "engineer.v1.0", "A-eng-gate": "engineer.v1.0",
    "B-arch-stage": "architect.v1.1", "B-arch-gate": "architect.v1.1",
    "C-arch-stage": "architect.v1.1", "C-approval": "engineer.v1.1",
    "D-eng-stage": "engineer.v1.1", "T1-qa-gate": "qa.v1.0", "T2-qa-gate": "qa.v1.0",
}
RECIPE_OF = {"A": "web_app_v2", "B": "api_v1", "C": "web_app", "D": "web_app_mobile_v1",
             "T1": "api_v2", "T2": "api_v2"}
FAILED_GATES = {"A-eng-gate", "B-arch-gate"}


def kind(event_id: str) -> str:
    return KIND_OF[event_id.rsplit("-", 1)[1]]


def project(event_id: str) -> str:
    return event_id.split("-", 1)[0]


def of_kind(ids: set[str], name: str) -> set[str]:
    return {i for i in ids if kind(i) == name}


def test_kind_of_every_event(store_root: Path) -> None:
    events, _ = read_events(store_root)
    assert {e.event_id: str(e.kind) for e in events} == {i: kind(i) for i in EVERYTHING}


#: The cases the consumers are compared on (each consumer is costly: a few are enough,
#: chosen so that every rule is exercised).
EVERYWHERE = [
    "since=2025-10-02,last_projects=1",  # the order: A without its start
    "roles=['engineer']",  # feedback by the judged role, escalation, approval
    "prompt_versions=['architect.v1.1']",  # a versionless gate stays, an approval goes
    "prompt_versions=['architect.v1.1', 'engineer.v1.0']",  # other versions go
    "roles=['architect'],since=2025-10-02",  # roles and window
]
#: The cases the aggregates are compared on (an aggregate compiles ~30 queries;
#: test_aggregate_files.py checks every option against hand-computed files).
AGGREGATED = EVERYWHERE[0], EVERYWHERE[3]


def case_of(name: str) -> tuple[Selection, list[str], set[str]]:
    options, projects, expected = CASES[CASE_IDS.index(name)]
    assert expected, "every compared case selects something"
    return Selection.build(**options), projects, expected


@pytest.mark.parametrize("case", EVERYWHERE)
def test_same_events_everywhere(shared_ws: Workspace, tmp_path: Path, case: str) -> None:
    """The dataset, metrics, labels and the raw export all cover the events (and the
    projects) that ``Selection.events`` picks."""
    selection, projects, expected = case_of(case)
    ws = shared_ws
    assert index_ids(ws, selection) == expected

    # the dataset: its projects and every per-kind frame
    data = load_dataset(ws, selection)
    assert sorted(data.projects["project_id"]) == sorted(projects)
    assert set(data.gates["event_id"]) == of_kind(expected, "gate_evaluation")
    assert set(data.stages["event_id"]) == of_kind(expected, "stage_execution")
    assert set(data.feedback["event_id"]) == of_kind(expected, "downstream_feedback")
    assert set(data.approvals["event_id"]) == of_kind(expected, "human_approval")
    assert set(data.escalations["event_id"]) == of_kind(expected, "escalation")
    done = {project(i) for i in of_kind(expected, "project_completed")}
    outcome = data.projects.set_index("project_id")["project_success"].notna()
    assert {p for p, has in outcome.items() if has} == done

    # metrics: per project and per role, the counts of the same events
    gates = of_kind(expected, "gate_evaluation")
    rows = metric_values(ws, "gate_pass_rate", by=["project"], selection=selection)
    assert {r["project"]: r["denominator"] for r in rows} == Counter(project(i) for i in gates)
    rows = metric_values(ws, "gate_failures", by=["role"], selection=selection)
    assert {r["role"]: r["value"] for r in rows} == {
        ROLE_OF[i]: sum(1 for g in gates & FAILED_GATES if ROLE_OF[g] == ROLE_OF[i])
        for i in gates}
    rows = metric_values(ws, "downstream_rejection_rate", by=["role"], selection=selection)
    agent = of_kind(expected, "downstream_feedback") | of_kind(expected, "stage_execution")
    assert {(r["role"], r["numerator"], r["denominator"]) for r in rows} == {
        (role,
         sum(1 for i in agent if ROLE_OF[i] == role and kind(i) == "downstream_feedback"),
         sum(1 for i in agent if ROLE_OF[i] == role and kind(i) == "stage_execution"))
        for role in {ROLE_OF[i] for i in agent}}
    rows = metric_values(ws, "quality_score", by=["project"], selection=selection)
    assert {r["project"] for r in rows} == done

    # labels: gate checks, decisions, completed projects and prompt versions
    labels = label_events(ws, selection)
    assert {r["event_id"] for r in labels.records("gates")} == gates
    assert {r["event_id"] for r in labels.records("decisions")} == of_kind(
        expected, "human_approval")
    assert {r["project_id"] for r in labels.records("outputs")} == done
    assert {r["prompt_version"] for r in labels.records("prompts")} == {
        VERSION_OF[i] for i in gates if i in VERSION_OF}

    # the raw export: the same events, read from the raw files
    assert raw_ids(ws, selection) == expected
    out = tmp_path / "out.jsonl"
    report = export_events(ws, out, selection=selection)
    exported = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert {e["event_id"] for e in exported} == expected
    assert report.events == len(expected)


@pytest.mark.parametrize("case", AGGREGATED)
def test_aggregates_cover_the_same_events(shared_ws: Workspace, case: str) -> None:
    """Gate checks per role, stage runs per version, projects and completions per recipe
    of the aggregates are those of the selected events."""
    selection, projects, expected = case_of(case)
    gates = of_kind(expected, "gate_evaluation")
    done = {project(i) for i in of_kind(expected, "project_completed")}
    content = aggregate(shared_ws, selection, write=False).content
    assert content["agent_performance_by_role"]["selection"] == selection.to_dict()
    roles = content["agent_performance_by_role"]["roles"]
    assert {r["role"]: r["gate_pass_rate_n"] for r in roles if "gate_pass_rate_n" in r} == (
        Counter(ROLE_OF[i] for i in gates))
    versions = content["prompt_version_metrics"]["versions"]
    stages = of_kind(expected, "stage_execution")
    assert {v["prompt_version"]: v["stage_runs"] for v in versions if "stage_runs" in v} == (
        Counter(VERSION_OF[i] for i in stages))
    recipes = content["recipe_success_rates"]["recipes"]
    assert {r["recipe"]: r["projects"] for r in recipes} == Counter(
        RECIPE_OF[p] for p in projects)
    assert {r["recipe"]: r["completed"] for r in recipes} == {
        RECIPE_OF[p]: sum(1 for q in done if RECIPE_OF[q] == RECIPE_OF[p]) for p in projects}


def test_export_without_a_project_filter(shared_ws: Workspace, tmp_path: Path) -> None:
    """A window alone needs no project set, and still exports what the index selects."""
    ws = shared_ws
    selection = Selection.build(since="2025-10-03", until="2025-10-03")
    assert not selection.filters_projects and ws.resolve(selection).project_ids is None
    out = tmp_path / "window.jsonl"
    export_events(ws, out, selection=selection, kinds=["gate_evaluation", "project_completed"])
    ids = {orjson.loads(line)["event_id"] for line in out.read_bytes().splitlines()}
    assert ids == {"A-arch-gate", "A-eng-gate", "A-done"}
    assert ids == {i for i in index_ids(ws, selection)
                   if kind(i) in ("gate_evaluation", "project_completed")}


# -- a property: the index and the raw files agree on random stores ------------------

_ROLES = [None, "architect", "engineer", "qa"]
_VERSIONS = [None, "architect.v1.0", "architect.v1.1", "engineer.v1.0", "qa.v2.0"]
_RECIPES = ["web_app", "web_app_v1", "web_app_v2.1", "web_app_mobile_v1", "api_v1"]
_PROJECTS = ["p1", "p2", "p10", "P2"]
_BASE = datetime(2025, 10, 1, tzinfo=UTC)
_moment = st.integers(0, 3 * 24).map(lambda h: _BASE + timedelta(hours=h))
_event = st.tuples(
    st.sampled_from(["stage", "gate", "feedback", "approval", "escalation", "tests", "done"]),
    st.sampled_from(_ROLES), st.sampled_from(_VERSIONS), _moment,
)
_store = st.dictionaries(
    st.sampled_from(_PROJECTS),
    st.tuples(st.sampled_from(_RECIPES), _moment, st.lists(_event, max_size=5)),
    min_size=1, max_size=4,
)
_day = st.sampled_from(["2025-10-01", "2025-10-02", "2025-10-02T12:00Z", "2025-10-03"])
_selection = st.builds(
    dict,
    since=st.none() | _day,
    until=st.none() | _day,
    last_projects=st.none() | st.integers(1, 3),
    recipe=st.none() | st.sampled_from(["web_app", "web_app_v1", "api", "web_app_mobile"]),
    roles=st.lists(st.sampled_from(_ROLES[1:]), max_size=2),
    prompt_versions=st.lists(st.sampled_from(_VERSIONS[1:]), max_size=2),
    project_ids=st.lists(st.sampled_from(_PROJECTS), max_size=2),
)


def _write_random(root: Path, store: dict[str, Any]) -> None:
    c = Collector(root)
    n = itertools.count()
    for pid, (recipe, start, events) in store.items():
        c.on_project_start(project_id=pid, event_id=f"{pid}-start", recipe=recipe,
                           timestamp=start)
        for what, role, version, when in events:
            common: dict[str, Any] = {"project_id": pid, "event_id": f"{pid}-{next(n)}",
                                      "timestamp": when}
            if what == "stage":
                c.on_agent_stage_completion(**common, stage_id="s", agent_role=role or "qa",
                                            prompt_version=version)
            elif what == "gate":
                c.on_gate_evaluation(**common, gate_id="g", validation_result="pass",
                                     agent_role=role, prompt_version=version)
            elif what == "feedback":
                c.on_downstream_agent_feedback(**common, reporting_agent="qa",
                                               target_agent=role, feedback="x",
                                               severity="minor")
            elif what == "approval":
                c.on_human_approval(**common, decision_type="tech_stack",
                                    agent_recommendation="a", human_decision="b",
                                    agent_role=role, prompt_version=version)
            elif what == "escalation":
                c.on_escalation(**common, reason="r", agent_role=role)
            elif what == "tests":
                c.on_test_execution(**common, tests_executed=1, tests_passed=1)
            else:
                c.on_project_completion(**common, project_success="shipped")
    c.close()


def test_index_and_raw_files_agree(engine: str | None) -> None:
    """On random small stores, ``Selection.events`` (ibis, on the index) and
    ``ResolvedSelection.matches`` (Python, on raw events) pick the same events."""
    compared: list[int] = []

    @settings(max_examples=5, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_store, st.lists(_selection, min_size=3, max_size=6))
    def check(store: dict[str, Any], selections: list[dict[str, Any]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / ".autoforge"
            _write_random(root, store)
            with Workspace(root, engine=engine) as ws:
                ws.refresh(rebuild=True)  # one PostgreSQL schema for every example
                for options in selections:
                    try:
                        selection = Selection.build(**options)
                    except UsageError:  # until before since
                        continue
                    assert index_ids(ws, selection) == raw_ids(ws, selection), options
                    compared.append(1)

    check()
    assert len(compared) >= 10


# -- building a selection ----------------------------------------------------------------


def test_build_parses_dates_and_times() -> None:
    s = Selection.build(since="2025-10-01", until="2025-10-03")
    assert s.since == datetime(2025, 10, 1, tzinfo=UTC)
    assert s.until == datetime(2025, 10, 4, tzinfo=UTC)  # the whole of 10-03
    s = Selection.build(since="2025-10-01T12:30", until="2025-10-03T08:00Z")
    assert s.since == datetime(2025, 10, 1, 12, 30, tzinfo=UTC)  # naive means UTC
    assert s.until == datetime(2025, 10, 3, 8, tzinfo=UTC)  # a time is exact
    s = Selection.build(since="2025-10-01T12:00:00+02:00")
    assert s.since == datetime(2025, 10, 1, 10, tzinfo=UTC)
    assert s.since.tzinfo == UTC
    s = Selection.build(since=date(2025, 10, 1), until=date(2025, 10, 1))
    assert (s.since, s.until) == (datetime(2025, 10, 1, tzinfo=UTC),
                                  datetime(2025, 10, 2, tzinfo=UTC))
    assert Selection.build(since=" 2025-10-01 ") == Selection.build(since="2025-10-01")


@pytest.mark.parametrize(("text", "span"), [
    ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)), ("4w", timedelta(weeks=4)),
    ("0d", timedelta(0)),
])
def test_build_parses_spans_back_from_now(text: str, span: timedelta) -> None:
    before = datetime.now(UTC)
    s = Selection.build(since=text)
    after = datetime.now(UTC)
    assert s.since is not None and before - span <= s.since <= after - span
    assert s.since.tzinfo == UTC


@pytest.mark.parametrize(("options", "message"), [
    ({"since": "yesterday"}, "--since 'yesterday': expected an ISO date"),
    ({"since": "7 days"}, "--since '7 days'"),
    ({"since": "7D"}, "--since '7D'"),
    ({"since": "-7d"}, "--since '-7d'"),
    ({"since": "2025-13-01"}, "--since '2025-13-01'"),
    ({"until": "2025-02-30"}, "--until '2025-02-30'"),
    ({"until": "soon"}, "--until 'soon'"),
    ({"last_projects": 0}, "--last 0: expected a number from 1 to"),
    ({"last_projects": -2}, "--last -2"),
    ({"prompt_versions": ["architect.v1"]}, "--prompt-version 'architect.v1'"),
    ({"prompt_versions": ["v1.2"]}, "--prompt-version 'v1.2'"),
    ({"since": "2025-10-02", "until": "2025-10-01"}, "--until must be later than --since"),
    ({"since": "2025-10-02T00:00Z", "until": "2025-10-02T00:00Z"}, "--until must be later"),
])
def test_build_rejects_bad_values(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        Selection.build(**options)
    assert message in str(caught.value)


def test_same_day_since_and_until_is_one_day() -> None:
    s = Selection.build(since="2025-10-02", until="2025-10-02")
    assert s.until is not None and s.since is not None
    assert s.until - s.since == timedelta(days=1)


def test_build_normalises_lists_and_blanks() -> None:
    s = Selection.build(roles=["qa", "architect", "qa"], prompt_versions=["qa.v1.0"] * 2,
                        project_ids=("b", "a"), recipe="")
    assert (s.roles, s.prompt_versions, s.project_ids, s.recipe) == (
        ("architect", "qa"), ("qa.v1.0",), ("a", "b"), None)
    assert s.agent_roles == ("architect", "qa")
    assert Selection.build(prompt_versions=["engineer.v2.0"], roles=["qa"]).agent_roles == (
        "engineer", "qa")
    assert version_role("qa_lead.v10.2") == "qa_lead"
    assert Selection.build().is_everything and Selection().is_everything
    assert not Selection.build(last_projects=1).is_everything


def test_direct_construction_means_the_same_as_build() -> None:
    """Constructed directly, a selection takes the same normal form as from ``build``
    (naive times are UTC; lists sorted): equal, same slug, and usable on raw events."""
    naive = Selection(since=datetime(2025, 10, 2), until=datetime(2025, 10, 3, 12),
                      roles=("qa", "architect"))
    built = Selection.build(since="2025-10-02", until="2025-10-03T12:00Z",
                            roles=["architect", "qa"])
    assert naive == built and naive.slug() == built.slug()
    assert naive.to_dict() == built.to_dict()
    offset = Selection(since=datetime(2025, 10, 2, 2, tzinfo=timezone(timedelta(hours=2))))
    assert offset == Selection.build(since="2025-10-02")
    assert offset.since is not None and offset.since.tzinfo == UTC
    assert offset.slug() == "since-2025-10-02"
    from autoforge_learn.schema.events import TestResults

    event = TestResults(event_id="e", project_id="p", timestamp=at("10-02", 13),
                        tests_executed=1, tests_passed=1)
    assert naive.resolve(None).matches(event)
    assert not naive.resolve(None).matches(event.model_copy(update={"timestamp": at("10-01")}))


def test_parse_moment() -> None:
    assert parse_moment("2025-10-01", end_of_day=True) == datetime(2025, 10, 2, tzinfo=UTC)
    assert parse_moment("2025-10-01T00:00Z", end_of_day=True) == datetime(2025, 10, 1,
                                                                        tzinfo=UTC)
    with pytest.raises(UsageError, match="--until 'x'"):
        parse_moment("x", option="--until")


SELECTIONS = [
    Selection.build(),
    Selection.build(since="2025-10-01"),
    Selection.build(since="2025-10-01T12:30Z"),
    Selection.build(since="2025-10-01T12:30:00.250Z"),
    Selection.build(until="2025-10-01"),
    Selection.build(until="2025-10-02T00:00Z"),  # the same as until 2025-10-01
    Selection.build(until="2025-10-01T23:00Z"),
    Selection.build(since="2025-10-01", until="2025-10-03"),
    Selection.build(last_projects=10),
    Selection.build(last_projects=1),
    Selection.build(recipe="web_app"),
    Selection.build(recipe="web_app_v2"),
    Selection.build(recipe="web app"),
    Selection.build(recipe="web-app"),
    Selection.build(recipe="web/app"),
    Selection.build(recipe="a_role-b"),
    Selection.build(recipe="a", roles=["b"]),
    Selection.build(recipe="a_role", roles=["b"]),
    Selection.build(roles=["qa lead"]),
    Selection.build(roles=["qa-lead"]),
    Selection.build(roles=["qa_lead"]),
    Selection.build(roles=["architect", "qa"]),
    Selection.build(roles=["architect_qa"]),
    Selection.build(prompt_versions=["architect.v1.2"]),
    Selection.build(prompt_versions=["architect.v1.2", "qa.v1.0"]),
    Selection.build(project_ids=["A"]),
    Selection.build(project_ids=["B"]),
    Selection.build(project_ids=["A", "B"]),
    Selection.build(recipe="x" * 80),
    Selection.build(recipe="x" * 80 + "y"),
    Selection.build(recipe="web_app", roles=["architect", "engineer", "qa", "security"],
                    prompt_versions=["architect.v1.2"], since="2025-10-01", last_projects=5),
    Selection.build(recipe="web_app", roles=["architect", "engineer", "qa", "security"],
                    prompt_versions=["architect.v1.3"], since="2025-10-01", last_projects=5),
]


def test_describe() -> None:
    assert Selection.build().describe() == ""
    s = Selection.build(recipe="web_app", roles=["qa", "architect"],
                        prompt_versions=["architect.v1.2"], project_ids=["B", "A"],
                        since="2025-10-01", until="2025-10-03", last_projects=10)
    assert s.describe() == (
        "recipe web_app, role architect, qa, prompt version architect.v1.2, project A, B, "
        "since 2025-10-01, until 2025-10-03, the last 10 projects")
    # a time is shown as such; until a time is exclusive and shown as given
    s = Selection.build(since="2025-10-01T12:30Z", until="2025-10-02T06:00Z")
    assert s.describe() == "since 2025-10-01T12:30:00Z, until 2025-10-02T06:00:00Z"


@pytest.mark.parametrize("selection", SELECTIONS, ids=range(len(SELECTIONS)))
def test_describe_reads_back(selection: Selection) -> None:
    """What ``describe`` says of the time window is what the options say: ``until
    2025-10-03`` (the whole day) is not shown as ``until 2025-10-04``."""
    words = dict(part.split(" ", 1) for part in selection.describe().split(", ")
                 if part.startswith(("since ", "until ")))
    again = Selection.build(since=words.get("since"), until=words.get("until"))
    assert (again.since, again.until) == (selection.since, selection.until)


def test_slug() -> None:
    assert Selection.build().slug() == ""
    assert Selection.build(recipe="web_app", last_projects=10).slug() == "recipe-web_app_last-10"
    assert Selection.build(since="2025-10-01", until="2025-10-03").slug() == (
        "since-2025-10-01_until-2025-10-03")
    assert Selection.build(roles=["qa"], prompt_versions=["qa.v1.2"]).slug() == (
        "role-qa_version-qa.v1.2")


def test_slugs_are_file_names_and_distinct() -> None:
    slugs = [s.slug() for s in SELECTIONS]
    distinct = {s for s in SELECTIONS}
    assert len(distinct) == len(SELECTIONS) - 1  # until 10-01 is until 10-02T00:00
    by_slug: dict[str, set[Selection]] = {}
    for selection, slug in zip(SELECTIONS, slugs, strict=True):
        by_slug.setdefault(slug, set()).add(selection)
    assert {k: v for k, v in by_slug.items() if len(v) > 1} == {}
    assert len(by_slug) == len(distinct)
    for slug in slugs[1:]:
        assert slug and len(slug) <= 60
        assert all(ch.isalnum() or ch in "._-" for ch in slug), slug
        assert not slug.startswith((".", "-"))


@pytest.mark.parametrize("selection", SELECTIONS, ids=range(len(SELECTIONS)))
def test_to_dict_round_trip(selection: Selection) -> None:
    data = selection.to_dict()
    assert orjson.loads(orjson.dumps(data)) == data  # JSON-ready
    assert Selection.from_dict(data) == selection
    assert Selection.from_dict(orjson.loads(orjson.dumps(data))).to_dict() == data


def test_from_dict_of_user_values() -> None:
    s = Selection.from_dict({"since": "2025-10-01", "until": "2025-10-03",
                             "last_projects": 3, "roles": None})
    assert s == Selection.build(since="2025-10-01", until="2025-10-03", last_projects=3)
    assert Selection.from_dict({}) == Selection()


# -- the CLI ------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_commands_cover_the_same_projects(
    root: Path, engine: str | None, open_ws: Callable[..., Workspace]
) -> None:
    """``metrics show`` and ``patterns`` with ``--last 1 --since 2025-10-02`` both cover
    project A only (see the first combination of CASES)."""
    options = ["--last", "1", "--since", "2025-10-02", "--root", str(root),
               *(["--engine", engine] if engine else [])]
    selection = Selection.build(last_projects=1, since="2025-10-02")

    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_pass_rate",
                                 "--format", "json", *options])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.stdout)
    ws = open_ws(root)
    assert shown == metric_values(ws, "gate_pass_rate", selection=selection)
    # A's two gates, one passed (B's failed gate and C's passed one are out)
    assert shown == [{"value": 0.5, "numerator": 1, "denominator": 2}]
    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_pass_rate",
                                 "--by", "project", "--format", "json", *options])
    assert result.exit_code == 0, result.output
    assert [r["project"] for r in orjson.loads(result.stdout)] == ["A"]

    result = runner.invoke(app, ["patterns", "--format", "json", *options])
    assert result.exit_code == 0, result.output
    findings = orjson.loads(result.stdout)
    library = detect_patterns(ws, selection)
    assert findings == orjson.loads(orjson.dumps([f.to_dict() for f in library]))
    assert findings, "the selection has findings"
    examples = {e["project_id"] for f in findings for e in f.get("examples") or []}
    assert examples == {"A"}
    recipes = {f["key"]["recipe"] for f in findings if f["pattern"] == "recipe_effectiveness"}
    assert recipes == {"web_app_v2"}  # A's recipe only
    roles = {f["key"].get("agent_role") for f in findings if f["pattern"] == "retry_hotspot"}
    assert roles == {"architect", "engineer"}


def test_cli_rejects_a_bad_option(root: Path) -> None:
    result = runner.invoke(app, ["metrics", "show", "--metric", "gate_pass_rate",
                                 "--since", "last tuesday", "--root", str(root)])
    assert result.exit_code != 0
    assert "--since 'last tuesday'" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "show", "--metric", "gate_pass_rate", "--since", "2030-01-01"],
        ["patterns", "--recipe", "typo"],
        ["label", "--project", "nobody"],
        ["train", "--recipe", "typo"],
    ],
    ids=lambda a: a[0],
)
def test_a_selection_of_nothing_is_an_error_and_writes_nothing(
    af_root: Path, args: list[str]
) -> None:
    with Collector(af_root) as c:
        for i in range(3):
            c.on_project_start(project_id=f"p{i}", recipe="web_app")
            c.on_gate_evaluation(project_id=f"p{i}", gate_id="g", validation_result="pass")
    before = sorted(p for p in af_root.rglob("*") if "index" not in p.name)
    result = CliRunner().invoke(app, [*args, "--root", str(af_root)])
    assert result.exit_code == 2, result.output
    assert "no project matches" in result.output and "the store holds 3 projects" in result.output
    assert sorted(p for p in af_root.rglob("*") if "index" not in p.name) == before
