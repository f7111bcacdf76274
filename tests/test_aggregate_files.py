"""The four aggregated files, every value against hand-computed numbers, on both engines,
for the whole store and under each selection option.

The store is ``make_dataset`` (projects A and B, see tests/analytics/test_metrics.py)
and a third project C, so that a recipe family, a prompt version used by two projects
and a month holding two projects can be told apart:

* A: ``saas_app_v1``/saas, 09-01..09-05. Architect (architect.v1.0): stage 09-01
  (1000+500 tokens, $0.5, 100 s, succeeded), api_contract fail r1 (auto-fix applied,
  succeeded) and pass r2. Engineer (engineer.v1.0): stages 09-02 (2000+1000 tokens,
  $1.0, 300 s, 100 lines, failed) and 09-03 (1000+1000 tokens, $0.5, 200 s, 50 lines,
  succeeded); tests_pass fail r1 09-02 (overridden, escalated), fail r2 09-03 (auto-fix
  applied, failed), pass r3 09-03. Feedback 09-02 about the architect (rejected).
  09-04: tests (coverage 80), scan (5 found, 1 false positive), two approvals without a
  role (one aligned, one overridden). Completed 09-05: shipped, quality 90, first
  prototype 3600 s, 1 security issue missed, no time to completion.
* B: ``fin_v2``/fintech, 10-01..10-04. Architect (architect.v1.1): stage 10-01
  (500+500 tokens, $0.25, 400 s, 0 lines, succeeded), api_contract pass r1 10-01,
  spec_complete fail r1 10-02 (the spec's flat line; auto-fix applied, succeeded).
  10-03: tests, scan (2 found), an aligned approval without a role. Completed 10-04:
  blocked, quality 50, first prototype 7200 s, 0 missed.
* C: ``saas_app_v2``/saas, 09-15..09-20. Architect (architect.v1.1): stage 09-15
  (2000+1000 tokens, $1.0, 200 s, succeeded), api_contract fail r1 and pass r2; an
  overridden approval by the architect (architect.v1.1). Completed 09-20: shipped,
  quality 80, first prototype 1800 s, time to completion 86400 s.

Most recent start first: B (10-01), C (09-15), A (09-01).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from autoforge_learn.aggregate import aggregate
from autoforge_learn.collect import Collector
from autoforge_learn.selection import Selection
from autoforge_learn.workspace import Workspace
from tests.analytics.conftest import make_dataset, ts
from tests.helpers import module_workspace

FILES = ("agent_performance_by_role", "recipe_success_rates", "prompt_version_metrics",
         "trend_analysis")


def build_store(root: Path) -> None:
    make_dataset(root)
    c = Collector(root)
    c.on_project_start(project_id="C", recipe="saas_app_v2", client_domain="saas",
                       timestamp=ts("2025-09-15", 8))
    c.on_agent_stage_completion(
        project_id="C", agent_model="m1", stage_id="architecture", agent_role="architect",
        prompt_version="architect.v1.1", input_tokens=2000, output_tokens=1000, total_cost=1.0,
        duration_seconds=200, succeeded=True, timestamp=ts("2025-09-15", 9),
    )
    gate = dict(project_id="C", stage="architecture", agent_role="architect", agent_model="m1",
                prompt_version="architect.v1.1", gate_id="api_contract")
    c.on_gate_evaluation(**gate, validation_result="fail", retry_attempt=1,
                         timestamp=ts("2025-09-15", 10))
    c.on_gate_evaluation(**gate, validation_result="pass", retry_attempt=2,
                         timestamp=ts("2025-09-15", 11))
    c.on_human_approval(
        project_id="C", decision_type="architecture_choice", agent_role="architect",
        prompt_version="architect.v1.1", agent_recommendation="rest", human_decision="graphql",
        timestamp=ts("2025-09-15", 12),
    )
    c.on_project_completion(
        project_id="C", project_success="shipped", quality_score=80,
        time_to_first_prototype=1800, time_to_completion=86400, timestamp=ts("2025-09-20"),
    )
    c.close()


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("aggregate") / ".autoforge"
    build_store(root)
    return root


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def shared_ws(request: pytest.FixtureRequest, store_root: Path) -> Iterator[Workspace]:
    yield from module_workspace(request.param, store_root)


@pytest.fixture(scope="module")
def content(shared_ws: Workspace) -> Callable[[str], dict[str, Any]]:
    """The aggregated content of a named selection (computed once per engine)."""
    done: dict[str, dict[str, Any]] = {}

    def get(name: str) -> dict[str, Any]:
        if name not in done:
            done[name] = aggregate(shared_ws, SELECTIONS[name], write=False).content
        return done[name]

    return get


def approx(tree: Any) -> Any:
    """``tree`` with every float compared approximately (percentiles come from the
    engine)."""
    if isinstance(tree, dict):
        return {k: approx(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [approx(v) for v in tree]
    if isinstance(tree, float):
        return pytest.approx(tree, rel=1e-9, abs=1e-12)
    return tree


SELECTIONS = {
    "everything": Selection(),
    "last_projects=1": Selection.build(last_projects=1),
    "since=2025-09-03": Selection.build(since="2025-09-03"),
    "until=2025-09-04": Selection.build(until="2025-09-04"),
    "recipe=saas_app": Selection.build(recipe="saas_app"),
    "roles=engineer": Selection.build(roles=["engineer"]),
    "prompt_versions=architect.v1.1": Selection.build(prompt_versions=["architect.v1.1"]),
    "project_ids=A,B": Selection.build(project_ids=["A", "B"]),
    "recipe=saas_app,last_projects=1": Selection.build(recipe="saas_app", last_projects=1),
}

LOWER_IS_BETTER = ["avg_retries_per_task", "cost_per_project", "gate_failure_rate",
                   "security_issues_missed_rate", "time_to_first_prototype", "tokens_per_loc"]


def role(name: str, *, gates: tuple[int, int], retries: float, succeeded: tuple[int, int],
         escalated: int, fixes: tuple[int, int], rejected: tuple[int, int], p50: float,
         p95: float, overridden: tuple[int, int] | None = None) -> dict[str, Any]:
    """A row of agent_performance_by_role from its counts: ``gates`` (passed, checks),
    ``succeeded`` (succeeded, stage runs with succeeded known), ``escalated`` (of the
    checks), ``fixes`` (succeeded, applied), ``rejected`` (feedback, stage runs),
    ``overridden`` (overridden, decisions; None: no decision names the role, and the
    decision metrics have no row for it)."""
    passed, checks = gates
    row: dict[str, Any] = {
        "role": name,
        "gate_pass_rate": passed / checks, "gate_pass_rate_n": checks,
        "gate_failure_rate": (checks - passed) / checks, "gate_failure_rate_n": checks,
        "avg_retries_per_task": retries,
        "agent_success_rate": succeeded[0] / succeeded[1], "agent_success_rate_n": succeeded[1],
        "escalation_rate": escalated / checks, "escalation_rate_n": checks,
        "auto_fix_success_rate": fixes[0] / fixes[1] if fixes[1] else None,
        "auto_fix_success_rate_n": fixes[1],
        "downstream_rejection_rate": rejected[0] / rejected[1],
        "downstream_rejection_rate_n": rejected[1],
        "p50_stage_duration": p50, "p95_stage_duration": p95,
    }
    if overridden is not None:  # the decisions naming the role: taken or overridden
        row["autonomous_decision_confidence"] = 1 - overridden[0] / overridden[1]
        row["autonomous_decision_confidence_n"] = overridden[1]
        row["human_override_rate"] = overridden[0] / overridden[1]
        row["human_override_rate_n"] = overridden[1]
    return row


# -- the whole store ----------------------------------------------------------------------

# architect: checks A 2 (fail, pass), B 2 (pass, flat fail), C 2 (fail, pass): 3 of 6
# pass; tasks A/api_contract 1 retry, B/api_contract 0, B/spec_complete 0, C/api_contract
# 1: 2 / 4; stages A, B, C all succeeded; no escalation; auto-fixes A's and B's, both
# succeeded; C's decision overridden; A's feedback per 3 stage runs; durations 100, 200,
# 400: median 200, p95 = 200 + 0.9 * (400 - 200) = 380 (continuous: rank 0.95 * 2).
ARCHITECT_ALL = role("architect", gates=(3, 6), retries=2 / 4, succeeded=(3, 3),
                     escalated=0, fixes=(2, 2), rejected=(1, 3), p50=200.0, p95=380.0,
                     overridden=(1, 1))
# engineer: A's 3 checks of one task (pass r3: 2 retries), 1 passed, 1 escalated, one
# failed auto-fix; stages failed and succeeded; no feedback about it; durations 300, 200:
# median 250, p95 = 200 + 0.95 * 100 = 295. A's decisions name no role.
ENGINEER_ALL = role("engineer", gates=(1, 3), retries=2.0, succeeded=(1, 2), escalated=1,
                    fixes=(0, 1), rejected=(0, 2), p50=250.0, p95=295.0)

# recipe rows: the catalogue metrics (quality, cost per project = stage cost / projects
# with a stage run, first prototype) and the outcomes of the selected projects
FIN_V2 = {  # B: blocked
    "recipe": "fin_v2", "quality_score": 50.0, "cost_per_project": 0.25,
    "cost_per_project_n": 1, "time_to_first_prototype": 7200.0, "projects": 1,
    "completed": 1, "shipped": 0, "success_rate": 0.0, "avg_time_to_completion": None,
}
SAAS_APP_V1 = {  # A: stage costs 0.5 + 1.0 + 0.5 = 2.0; shipped
    "recipe": "saas_app_v1", "quality_score": 90.0, "cost_per_project": 2.0,
    "cost_per_project_n": 1, "time_to_first_prototype": 3600.0, "projects": 1,
    "completed": 1, "shipped": 1, "success_rate": 1.0, "avg_time_to_completion": None,
}
SAAS_APP_V2 = {  # C: shipped in 86400 s
    "recipe": "saas_app_v2", "quality_score": 80.0, "cost_per_project": 1.0,
    "cost_per_project_n": 1, "time_to_first_prototype": 1800.0, "projects": 1,
    "completed": 1, "shipped": 1, "success_rate": 1.0, "avg_time_to_completion": 86400.0,
}


def by_domain(row: dict[str, Any], domain: str) -> dict[str, Any]:
    """A recipes_by_domain row: the recipe row's catalogue metrics."""
    keep = ("quality_score", "cost_per_project", "cost_per_project_n", "time_to_first_prototype")
    return {"recipe": row["recipe"], "domain": domain, **{k: row[k] for k in keep if k in row}}


# prompt versions: gate pass rate, retries per task, override rate of the decisions
# naming the version, and the stage runs' usage
ARCH_V10 = {  # A: fail, pass (1 task, 1 retry); one stage run of 1500 tokens on 09-01
    "prompt_version": "architect.v1.0", "gate_success_rate": 0.5, "avg_retries": 1.0,
    "projects": 1, "stage_runs": 1, "avg_tokens": 1500.0, "deployed_from": "2025-09-01",
    "deployed_to": "2025-09-01", "agent_role": "architect", "changes": [],
}
# B: pass, flat fail (2 tasks, 0 retries); C: fail, pass (1 task, 1 retry): 2 of 4 pass,
# 1 retry / 3 tasks; C's decision overridden; runs B (1000 tokens, 10-01), C (3000,
# 09-15): (1000 + 3000) / 2 = 2000
ARCH_V11 = {
    "prompt_version": "architect.v1.1", "gate_success_rate": 0.5, "avg_retries": 1 / 3,
    "human_override_rate": 1.0, "projects": 2, "stage_runs": 2, "avg_tokens": 2000.0,
    "deployed_from": "2025-09-15", "deployed_to": "2025-10-01", "agent_role": "architect",
    "changes": [],
}
ENG_V10 = {  # A: 1 of 3 pass, 1 task with 2 retries; runs of 3000 and 2000 tokens
    "prompt_version": "engineer.v1.0", "gate_success_rate": 1 / 3, "avg_retries": 2.0,
    "projects": 1, "stage_runs": 2, "avg_tokens": 2500.0, "deployed_from": "2025-09-02",
    "deployed_to": "2025-09-03", "agent_role": "engineer", "changes": [],
}
# against architect.v1.0 (+ is better): pass rate (0.5 - 0.5) / 0.5 = 0; retries
# (1/3 - 1) / 1 = -2/3, lower is better: +0.6667; tokens (2000 - 1500) / 1500 = +1/3,
# lower is better: -0.3333; the override rate has no prior value
ARCH_V11_AFTER_V10 = {
    **ARCH_V11, "prior_version": "architect.v1.0",
    "improvement_vs_prior": {"gate_success_rate": 0.0, "avg_retries": 0.6667,
                             "avg_tokens": -0.3333},
}

# months: A and C in 2025-09, B in 2025-10
SEPTEMBER_ALL = {
    "month": "2025-09",
    "gate_failure_rate": 4 / 7, "gate_failure_rate_n": 7,  # A 3 of 5, C 1 of 2
    "avg_retries_per_task": 4 / 3,  # tasks A/api 1, A/tests 2, C/api 1
    "time_to_first_prototype": 2700.0,  # (3600 + 1800) / 2
    # A's engineer runs report lines: (3000 + 2000) tokens / (100 + 50) lines
    "tokens_per_loc": 5000 / 150, "tokens_per_loc_n": 150,
    # missed 1 / ((5 - 1) found + 1 missed); C has no scan and misses none
    "security_issues_missed_rate": 0.2, "security_issues_missed_rate_n": 5,
    # A: aligned, overridden; C: overridden
    "autonomous_decision_confidence": 1 / 3, "autonomous_decision_confidence_n": 3,
    "quality_score": 85.0,  # (90 + 80) / 2
    "cost_per_project": 1.5, "cost_per_project_n": 2,  # (2.0 + 1.0) / 2 projects
}
OCTOBER_ALL = {
    "month": "2025-10",
    "gate_failure_rate": 0.5, "gate_failure_rate_n": 2,  # pass, flat fail
    "avg_retries_per_task": 0.0,
    "time_to_first_prototype": 7200.0,
    "tokens_per_loc": None, "tokens_per_loc_n": 0,  # B's stage reports 0 lines
    "security_issues_missed_rate": 0.0, "security_issues_missed_rate_n": 2,  # 0 / (2 + 0)
    "autonomous_decision_confidence": 1.0, "autonomous_decision_confidence_n": 1,
    "quality_score": 50.0,
    "cost_per_project": 0.25, "cost_per_project_n": 1,
}
# C alone in September: 1 of 2 checks fails, 1 task with 1 retry; no lines and no scan
# (0 / 0: no value); its decision overridden
SEPTEMBER_C = {
    "month": "2025-09",
    "gate_failure_rate": 0.5, "gate_failure_rate_n": 2,
    "avg_retries_per_task": 1.0,
    "time_to_first_prototype": 1800.0,
    "tokens_per_loc": None, "tokens_per_loc_n": 0,
    "security_issues_missed_rate": None, "security_issues_missed_rate_n": 0,
    "autonomous_decision_confidence": 0.0, "autonomous_decision_confidence_n": 1,
    "quality_score": 80.0,
    "cost_per_project": 1.0, "cost_per_project_n": 1,
}
# architect with B and C only: checks B pass, B flat fail, C fail, C pass (2 of 4);
# tasks B/api 0, B/spec 0, C/api 1; stages B and C succeeded; B's auto-fix succeeded;
# C's decision overridden; no feedback about them; durations 400, 200: median 300,
# p95 = 200 + 0.95 * 200 = 390
ARCHITECT_B_C = role("architect", gates=(2, 4), retries=1 / 3, succeeded=(2, 2),
                     escalated=0, fixes=(1, 1), rejected=(0, 2), p50=300.0, p95=390.0,
                     overridden=(1, 1))

EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "everything": {
        "agent_performance_by_role": {"roles": [ARCHITECT_ALL, ENGINEER_ALL]},
        "recipe_success_rates": {
            "recipes": [FIN_V2, SAAS_APP_V1, SAAS_APP_V2],
            "recipes_by_domain": [by_domain(FIN_V2, "fintech"), by_domain(SAAS_APP_V1, "saas"),
                                  by_domain(SAAS_APP_V2, "saas")],
        },
        "prompt_version_metrics": {"versions": [ARCH_V10, ARCH_V11_AFTER_V10, ENG_V10]},
        "trend_analysis": {"months": [SEPTEMBER_ALL, OCTOBER_ALL]},
    },
    # B only (it started last): the recipes of A and C are not there at all
    "last_projects=1": {
        "agent_performance_by_role": {"roles": [
            # pass and flat fail, 2 tasks without retries; one run of 400 s; one
            # succeeded auto-fix
            role("architect", gates=(1, 2), retries=0.0, succeeded=(1, 1), escalated=0,
                 fixes=(1, 1), rejected=(0, 1), p50=400.0, p95=400.0),
        ]},
        "recipe_success_rates": {
            "recipes": [FIN_V2],
            "recipes_by_domain": [by_domain(FIN_V2, "fintech")],
        },
        "prompt_version_metrics": {"versions": [{  # B's run only (C's is not selected)
            "prompt_version": "architect.v1.1", "gate_success_rate": 0.5, "avg_retries": 0.0,
            "projects": 1, "stage_runs": 1, "avg_tokens": 1000.0,
            "deployed_from": "2025-10-01", "deployed_to": "2025-10-01",
            "agent_role": "architect", "changes": [],
        }]},
        "trend_analysis": {"months": [OCTOBER_ALL]},
    },
    # A from 09-03 on: its second engineer run, checks r2 (fail) and r3 (pass), tests,
    # scan, decisions, completion (not its start, architect run and checks, first
    # engineer run and check, feedback); B and C whole
    "since=2025-09-03": {
        "agent_performance_by_role": {"roles": [
            ARCHITECT_B_C,
            # 1 of 2 checks pass (task max r3: 2 retries); the run succeeded (200 s); the
            # failed auto-fix; no escalation among r2 and r3
            role("engineer", gates=(1, 2), retries=2.0, succeeded=(1, 1), escalated=0,
                 fixes=(0, 1), rejected=(0, 1), p50=200.0, p95=200.0),
        ]},
        "recipe_success_rates": {
            "recipes": [FIN_V2, {**SAAS_APP_V1, "cost_per_project": 0.5}, SAAS_APP_V2],
            "recipes_by_domain": [
                by_domain(FIN_V2, "fintech"),
                by_domain({**SAAS_APP_V1, "cost_per_project": 0.5}, "saas"),
                by_domain(SAAS_APP_V2, "saas"),
            ],
        },
        "prompt_version_metrics": {"versions": [
            ARCH_V11,  # architect.v1.0 has no event since 09-03: no prior
            {  # r2 fail, r3 pass; one run of 2000 tokens on 09-03
                "prompt_version": "engineer.v1.0", "gate_success_rate": 0.5,
                "avg_retries": 2.0, "projects": 1, "stage_runs": 1, "avg_tokens": 2000.0,
                "deployed_from": "2025-09-03", "deployed_to": "2025-09-03",
                "agent_role": "engineer", "changes": [],
            },
        ]},
        "trend_analysis": {"months": [
            {
                "month": "2025-09",
                "gate_failure_rate": 0.5, "gate_failure_rate_n": 4,  # A r2 fail, r3; C
                "avg_retries_per_task": 1.5,  # A/tests 2, C/api 1
                "time_to_first_prototype": 2700.0,
                "tokens_per_loc": 40.0, "tokens_per_loc_n": 50,  # 2000 tokens / 50 lines
                "security_issues_missed_rate": 0.2, "security_issues_missed_rate_n": 5,
                "autonomous_decision_confidence": 1 / 3,
                "autonomous_decision_confidence_n": 3,
                "quality_score": 85.0,
                "cost_per_project": 0.75, "cost_per_project_n": 2,  # (0.5 + 1.0) / 2
            },
            OCTOBER_ALL,
        ]},
    },
    # until 09-04 includes that whole day: A without its completion (09-05); B (10-01)
    # and C (09-15) start later: neither is selected
    "until=2025-09-04": {
        "agent_performance_by_role": {"roles": [
            # A: fail, pass; one task with 1 retry; one run of 100 s; A's feedback
            role("architect", gates=(1, 2), retries=1.0, succeeded=(1, 1), escalated=0,
                 fixes=(1, 1), rejected=(1, 1), p50=100.0, p95=100.0),
            ENGINEER_ALL,
        ]},
        "recipe_success_rates": {
            "recipes": [{  # not completed before 09-05: no quality, no first prototype
                "recipe": "saas_app_v1", "cost_per_project": 2.0, "cost_per_project_n": 1,
                "projects": 1, "completed": 0, "shipped": 0, "success_rate": None,
                "avg_time_to_completion": None,
            }],
            "recipes_by_domain": [{"recipe": "saas_app_v1", "domain": "saas",
                                   "cost_per_project": 2.0, "cost_per_project_n": 1}],
        },
        "prompt_version_metrics": {"versions": [ARCH_V10, ENG_V10]},
        "trend_analysis": {"months": [{
            "month": "2025-09",
            "gate_failure_rate": 0.6, "gate_failure_rate_n": 5,  # 3 of A's 5 checks
            "avg_retries_per_task": 1.5,  # A/api 1, A/tests 2
            "tokens_per_loc": 5000 / 150, "tokens_per_loc_n": 150,
            # the scan (09-04) found 4 real issues; the completion (missed 1) is out
            "security_issues_missed_rate": 0.0, "security_issues_missed_rate_n": 4,
            "autonomous_decision_confidence": 0.5, "autonomous_decision_confidence_n": 2,
            "cost_per_project": 2.0, "cost_per_project_n": 1,
        }]},
    },
    # the saas_app family: A (saas_app_v1) and C (saas_app_v2), not B
    "recipe=saas_app": {
        "agent_performance_by_role": {"roles": [
            # A fail, pass; C fail, pass: 2 of 4, tasks A/api 1, C/api 1; runs 100 s and
            # 200 s: median 150, p95 = 100 + 0.95 * 100 = 195; A's auto-fix; C's decision;
            # A's feedback per 2 runs
            role("architect", gates=(2, 4), retries=1.0, succeeded=(2, 2), escalated=0,
                 fixes=(1, 1), rejected=(1, 2), p50=150.0, p95=195.0, overridden=(1, 1)),
            ENGINEER_ALL,
        ]},
        "recipe_success_rates": {
            "recipes": [SAAS_APP_V1, SAAS_APP_V2],
            "recipes_by_domain": [by_domain(SAAS_APP_V1, "saas"),
                                  by_domain(SAAS_APP_V2, "saas")],
        },
        "prompt_version_metrics": {"versions": [
            ARCH_V10,
            {  # C only: fail, pass (1 retry); one run of 3000 tokens. Against v1.0:
                # pass rate 0; retries (1 - 1) / 1 = 0; tokens (3000 - 1500) / 1500 = +1,
                # lower is better: -1
                "prompt_version": "architect.v1.1", "gate_success_rate": 0.5,
                "avg_retries": 1.0, "human_override_rate": 1.0, "projects": 1,
                "stage_runs": 1, "avg_tokens": 3000.0, "deployed_from": "2025-09-15",
                "deployed_to": "2025-09-15", "agent_role": "architect", "changes": [],
                "prior_version": "architect.v1.0",
                "improvement_vs_prior": {"gate_success_rate": 0.0, "avg_retries": 0.0,
                                         "avg_tokens": -1.0},
            },
            ENG_V10,
        ]},
        "trend_analysis": {"months": [SEPTEMBER_ALL]},
    },
    # projects with an engineer event: A; its architect run, checks and the feedback
    # about the architect go; project-wide events and the decisions naming no role stay
    "roles=engineer": {
        "agent_performance_by_role": {"roles": [ENGINEER_ALL]},
        "recipe_success_rates": {
            # cost per project from the engineer's runs only: 1.0 + 0.5
            "recipes": [{**SAAS_APP_V1, "cost_per_project": 1.5}],
            "recipes_by_domain": [by_domain({**SAAS_APP_V1, "cost_per_project": 1.5},
                                            "saas")],
        },
        "prompt_version_metrics": {"versions": [ENG_V10]},
        "trend_analysis": {"months": [{
            "month": "2025-09",
            "gate_failure_rate": 2 / 3, "gate_failure_rate_n": 3,
            "avg_retries_per_task": 2.0,
            "time_to_first_prototype": 3600.0,
            "tokens_per_loc": 5000 / 150, "tokens_per_loc_n": 150,
            "security_issues_missed_rate": 0.2, "security_issues_missed_rate_n": 5,
            "autonomous_decision_confidence": 0.5, "autonomous_decision_confidence_n": 2,
            "quality_score": 90.0,
            "cost_per_project": 1.5, "cost_per_project_n": 1,
        }]},
    },
    # projects with an architect.v1.1 event: B and C, whole (all their agent events are
    # the architect's at v1.1; B's decision names no role)
    "prompt_versions=architect.v1.1": {
        "agent_performance_by_role": {"roles": [ARCHITECT_B_C]},
        "recipe_success_rates": {
            "recipes": [FIN_V2, SAAS_APP_V2],
            "recipes_by_domain": [by_domain(FIN_V2, "fintech"), by_domain(SAAS_APP_V2, "saas")],
        },
        "prompt_version_metrics": {"versions": [ARCH_V11]},
        "trend_analysis": {"months": [SEPTEMBER_C, OCTOBER_ALL]},
    },
    # make_dataset alone: the values of tests/analytics/test_metrics.py
    "project_ids=A,B": {
        "agent_performance_by_role": {"roles": [
            # A fail, pass; B pass, flat fail: 2 of 4; tasks A/api 1, B/api 0, B/spec 0;
            # both auto-fixes succeeded; A's feedback per 2 runs; durations 100, 400:
            # median 250, p95 = 100 + 0.95 * 300 = 385; no decision names the architect
            role("architect", gates=(2, 4), retries=1 / 3, succeeded=(2, 2), escalated=0,
                 fixes=(2, 2), rejected=(1, 2), p50=250.0, p95=385.0),
            ENGINEER_ALL,
        ]},
        "recipe_success_rates": {
            "recipes": [FIN_V2, SAAS_APP_V1],
            "recipes_by_domain": [by_domain(FIN_V2, "fintech"), by_domain(SAAS_APP_V1, "saas")],
        },
        "prompt_version_metrics": {"versions": [
            ARCH_V10,
            {  # B: pass, flat fail, no retries; one run of 1000 tokens. Against v1.0:
                # pass rate 0; retries (0 - 1) / 1 = -1, lower is better: +1; tokens
                # (1000 - 1500) / 1500 = -1/3, lower is better: +0.3333
                "prompt_version": "architect.v1.1", "gate_success_rate": 0.5,
                "avg_retries": 0.0, "projects": 1, "stage_runs": 1, "avg_tokens": 1000.0,
                "deployed_from": "2025-10-01", "deployed_to": "2025-10-01",
                "agent_role": "architect", "changes": [], "prior_version": "architect.v1.0",
                "improvement_vs_prior": {"gate_success_rate": 0.0, "avg_retries": 1.0,
                                         "avg_tokens": 0.3333},
            },
            ENG_V10,
        ]},
        "trend_analysis": {"months": [
            {
                "month": "2025-09",
                "gate_failure_rate": 0.6, "gate_failure_rate_n": 5,
                "avg_retries_per_task": 1.5,
                "time_to_first_prototype": 3600.0,
                "tokens_per_loc": 5000 / 150, "tokens_per_loc_n": 150,
                "security_issues_missed_rate": 0.2, "security_issues_missed_rate_n": 5,
                "autonomous_decision_confidence": 0.5,
                "autonomous_decision_confidence_n": 2,
                "quality_score": 90.0,
                "cost_per_project": 2.0, "cost_per_project_n": 1,
            },
            OCTOBER_ALL,
        ]},
    },
    # the recipe (step 1) before the last N (step 3): of A and C, C started last (09-15);
    # the last project first (B) would leave nothing
    "recipe=saas_app,last_projects=1": {
        "agent_performance_by_role": {"roles": [
            # C: fail, pass (1 retry); one run of 200 s; no auto-fix applied (no value);
            # its decision overridden
            role("architect", gates=(1, 2), retries=1.0, succeeded=(1, 1), escalated=0,
                 fixes=(0, 0), rejected=(0, 1), p50=200.0, p95=200.0, overridden=(1, 1)),
        ]},
        "recipe_success_rates": {
            "recipes": [SAAS_APP_V2],
            "recipes_by_domain": [by_domain(SAAS_APP_V2, "saas")],
        },
        "prompt_version_metrics": {"versions": [{
            "prompt_version": "architect.v1.1", "gate_success_rate": 0.5, "avg_retries": 1.0,
            "human_override_rate": 1.0, "projects": 1, "stage_runs": 1, "avg_tokens": 3000.0,
            "deployed_from": "2025-09-15", "deployed_to": "2025-09-15",
            "agent_role": "architect", "changes": [],
        }]},
        "trend_analysis": {"months": [SEPTEMBER_C]},
    },
}


def test_every_selection_option_is_covered() -> None:
    options = {k for s in SELECTIONS.values() for k, v in s.to_dict().items()
               if v not in (None, [])}
    assert options == {"since", "until", "last_projects", "recipe", "roles",
                       "prompt_versions", "project_ids"}
    assert set(EXPECTED) == set(SELECTIONS)


@pytest.mark.parametrize("name", list(SELECTIONS))
@pytest.mark.parametrize("file", FILES)
def test_file_content(content: Callable[[str], dict[str, Any]], name: str, file: str) -> None:
    """Every value of every file, and the selection it records."""
    got = content(name)
    assert set(got) == set(FILES)
    body = got[file]
    assert body["selection"] == SELECTIONS[name].to_dict()
    assert Selection.from_dict(body["selection"]) == SELECTIONS[name]
    expected = {"selection": SELECTIONS[name].to_dict(), **EXPECTED[name][file]}
    if file == "trend_analysis":
        expected["lower_is_better"] = LOWER_IS_BETTER
    assert body == approx(expected)


def test_filters_apply_to_usage_and_recipe_outcomes(
    content: Callable[[str], dict[str, Any]],
) -> None:
    """Regression: ``_usage`` and ``_recipe_outcomes`` ignored since and the last N while
    the files recorded them; with the last project only (B), A's recipe still showed
    projects=1, completed=1, and the versions counted every stage run."""
    last = content("last_projects=1")
    assert last["recipe_success_rates"]["selection"]["last_projects"] == 1
    recipes = {r["recipe"]: r for r in last["recipe_success_rates"]["recipes"]}
    assert set(recipes) == {"fin_v2"}
    assert (recipes["fin_v2"]["projects"], recipes["fin_v2"]["completed"]) == (1, 1)
    versions = {v["prompt_version"]: v for v in last["prompt_version_metrics"]["versions"]}
    assert set(versions) == {"architect.v1.1"}
    assert (versions["architect.v1.1"]["projects"], versions["architect.v1.1"]["stage_runs"]) == (
        1, 1)  # B's run; C's (also architect.v1.1) is not selected

    since = content("since=2025-09-03")
    assert since["prompt_version_metrics"]["selection"]["since"] == "2025-09-03T00:00:00+00:00"
    versions = {v["prompt_version"]: v for v in since["prompt_version_metrics"]["versions"]}
    assert "architect.v1.0" not in versions  # used on 09-01 only
    engineer = versions["engineer.v1.0"]
    assert (engineer["stage_runs"], engineer["deployed_from"]) == (1, "2025-09-03")

    until = content("until=2025-09-04")
    recipes = {r["recipe"]: r for r in until["recipe_success_rates"]["recipes"]}
    assert set(recipes) == {"saas_app_v1"}
    assert (recipes["saas_app_v1"]["completed"], recipes["saas_app_v1"]["shipped"]) == (0, 0)


def test_written_files_are_the_content(
    shared_ws: Workspace, content: Callable[[str], dict[str, Any]]
) -> None:
    """``aggregate`` writes each file as the content it returns (no timestamp: the same
    data give the same bytes), and a later run replaces them."""
    selection = SELECTIONS["last_projects=1"]
    report = aggregate(shared_ws, selection)
    assert set(report.files) == set(FILES)
    for name, path in report.files.items():
        assert path == shared_ws.layout.aggregated / f"{name}.json"
        assert orjson.loads(path.read_bytes()) == report.content[name]
    assert report.content == content("last_projects=1")
    first = {name: path.read_bytes() for name, path in report.files.items()}
    again = aggregate(shared_ws, selection)
    assert {name: path.read_bytes() for name, path in again.files.items()} == first

    whole = aggregate(shared_ws, SELECTIONS["everything"])
    assert set(whole.files) == set(FILES)
    for name, path in whole.files.items():
        written = orjson.loads(path.read_bytes())
        assert written == whole.content[name] == content("everything")[name]
        assert written["selection"] == Selection().to_dict()


def test_a_project_completed_twice_counts_once(
    tmp_path: Path, open_ws: Callable[..., Workspace]
) -> None:
    """A project that completes twice (B: blocked on 10-04, then shipped on 10-06) is one
    completed project, with the latest outcome the selection holds (it counted 2
    completions of 1 project, success 1 of 2)."""
    root = make_dataset(tmp_path / ".autoforge")
    with Collector(root) as c:
        c.on_project_completion(project_id="B", project_success="shipped",
                                time_to_completion=100, timestamp=ts("2025-10-06"))
    ws = open_ws(root)
    keys = ("projects", "completed", "shipped", "success_rate", "avg_time_to_completion")

    def outcome(selection: Selection) -> dict[str, Any]:
        rows = aggregate(ws, selection, write=False).content["recipe_success_rates"]["recipes"]
        return {r["recipe"]: {k: r[k] for k in keys} for r in rows}["fin_v2"]

    assert outcome(Selection()) == {"projects": 1, "completed": 1, "shipped": 1,
                                    "success_rate": 1.0, "avg_time_to_completion": 100.0}
    # until 10-05: the second completion is not selected, the first (blocked) counts
    assert outcome(Selection.build(until="2025-10-05")) == {
        "projects": 1, "completed": 1, "shipped": 0, "success_rate": 0.0,
        "avg_time_to_completion": None}
