"""Honest suggestions: never what the current version already fixed, never a runtime
error as a prompt edit, clean prose within a budget, one suggestion per section,
estimates with intervals, and an experiment for each.

Worlds: the 200-project simulation (whose truth file says which prompt versions shipped
which fixes) and the real ChatDev logs. Their gate causes are mostly not discoveries at
this size, so where a test needs the rules to act on every cause it judges them
discoveries itself ("whatever the data says"); the engine's own checks must then hold.
"""

from __future__ import annotations

import copy
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from autoforge_learn.findings import (
    FeedbackCount,
    Finding,
    GateCauseEvidence,
    HandoffEvidence,
    Segment,
    Severity,
    Status,
    TextCount,
    VersionRate,
)
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.stats.power import power_two_sample
from autoforge_learn.suggest import (
    SuggestRun,
    SuggestSettings,
    load_findings,
    suggest_run,
)
from autoforge_learn.suggest.estimates import MAX_PROJECTS
from autoforge_learn.suggest.merge import combine_blocks
from autoforge_learn.suggest.prose import (
    added_text,
    clean_quote,
    is_runtime_error,
    looks_like_code,
)
from autoforge_learn.suggest.requirements import requirements
from tests.suggest import factories as f

NOW = datetime(2025, 11, 5, tzinfo=UTC)
PLACEHOLDER = re.compile(r"<[^<>\s]*>|<\*>")


# -- helpers ----------------------------------------------------------------------------


def _as_discoveries(findings: list[Finding], *, patterns: tuple[str, ...] | None = None
                    ) -> list[Finding]:
    """Copies of the findings with every tested claim judged a discovery (q = 0.0001)."""
    out = copy.deepcopy(findings)
    for finding in out:
        if finding.hypothesis is None or (patterns and finding.pattern not in patterns):
            continue
        finding.hypothesis.q_value = 0.0001
        finding.status = Status.DISCOVERY
        finding.severity = Severity.HIGH
        finding.thin_evidence = False
    return out


def _truth(root: Path) -> dict:
    return orjson.loads((root / "ai" / "training_data" / "simulation_truth.json").read_bytes())


def _template_re(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[a-z0-9_]+\\\}", ".+", re.escape(template))
    return re.compile(pattern)


def _truth_cause(finding: Finding, truth: dict) -> str | None:
    """The simulator's cause most of the finding's phrasings come from."""
    ev = finding.evidence
    assert isinstance(ev, GateCauseEvidence)
    votes: dict[str, int] = {}
    for phrasing in ev.phrasings:
        for cause_id, cause in truth["causes"].items():
            if cause["gate_id"] != ev.gate_id:
                continue
            if any(_template_re(t).fullmatch(phrasing.text) for t in cause["phrasings"]):
                votes[cause_id] = votes.get(cause_id, 0) + phrasing.count
    return max(votes, key=lambda k: votes[k]) if votes else None


def _lineage(registry: PromptRegistry, role: str) -> set[str]:
    """The role's current default version and its ancestors."""
    out: set[str] = set()
    version = registry.latest(role)
    while version is not None and version.id not in out:
        out.add(version.id)
        version = registry.get(version.parent) if version.parent else None
    return out


def _shipped_fixes(root: Path, findings: list[Finding]) -> list[Finding]:
    """Gate cause findings whose cause a version in the role's current lineage fixed."""
    truth, registry = _truth(root), PromptRegistry(root)
    fixed = []
    for finding in findings:
        if not isinstance(finding.evidence, GateCauseEvidence) or not finding.agent_role:
            continue
        cause = _truth_cause(finding, truth)
        fixers = set(truth["causes"][cause]["fixed_by"]) if cause else set()
        if fixers & _lineage(registry, finding.agent_role):
            fixed.append(finding)
    return fixed


def _run(root: Path, findings: list[Finding], **config) -> SuggestRun:
    return suggest_run(
        findings, PromptRegistry(root), now=NOW, config=SuggestSettings(**config)
    )


# -- the shipped fixes of the simulator -------------------------------------------------


@pytest.fixture(scope="module")
def demo_findings(demo) -> list[Finding]:
    return load_findings(demo[1])


def test_a_cause_the_current_version_fixed_is_never_suggested(demo, demo_findings):
    root = demo[0]
    forced = _as_discoveries(demo_findings)
    fixed = _shipped_fixes(root, forced)
    # product, architect (two clusters), ui_ux, qa and security shipped fixes.
    assert len(fixed) >= 5
    assert {f.agent_role for f in fixed} >= {"architect", "qa", "product", "ui_ux", "security"}
    for config in ({}, {"missing_content_attribution": "any", "min_failures": 1}):
        run = _run(root, forced, **config)
        suggested = {i for s in run.suggestions for i in s.finding_ids}
        assert not suggested & {f.id for f in fixed}
        already = {a.finding_id: a for a in run.already_fixed}
        assert {f.id for f in fixed} <= set(already)
        for finding in fixed:
            aside = already[finding.id]
            assert aside.current_version in _lineage(PromptRegistry(root), finding.agent_role)
            assert "fails" in aside.explanation or "already states it" in aside.explanation


def test_whatever_the_old_versions_data_says(demo, demo_findings):
    """The old versions made to look terrible (a rate of 90%, concentrated there beyond
    doubt): still no suggestion, since the current version fixed the cause."""
    root = demo[0]
    registry = PromptRegistry(root)
    fixed = _shipped_fixes(root, _as_discoveries(demo_findings))
    assert fixed
    for finding in fixed:
        ev = finding.evidence
        assert isinstance(ev, GateCauseEvidence)
        current = registry.latest(str(finding.agent_role)).id
        old = [v for v in ev.by_version if v.version != current]
        assert old
        ev.by_version = [v for v in ev.by_version if v.version == current] + [
            v.model_copy(update={"rate": 0.9, "low": 0.8, "high": 0.95}) for v in old
        ]
        ev.p_versions_differ = 0.0001
        ev.segment = Segment(by="prompt_version", value=old[0].version, failures=90,
                             checks=100, rate=0.9, p_concentrated=0.0001, rate_ratio=9.0)
    run = _run(root, fixed)
    assert run.suggestions == []
    assert {a.finding_id for a in run.already_fixed} == {f.id for f in fixed}


def test_the_current_prompt_text_alone_says_fixed(demo, demo_findings):
    """Without any per-version data, the current version's text states the requirement."""
    root = demo[0]
    fixed = _shipped_fixes(root, _as_discoveries(demo_findings))
    assert fixed
    for finding in fixed:
        assert isinstance(finding.evidence, GateCauseEvidence)
        finding.evidence.by_version = []
        finding.evidence.p_versions_differ = None
    run = _run(root, fixed, missing_content_attribution="any")
    assert run.suggestions == []
    for aside in run.already_fixed:
        assert "already states it" in aside.explanation
    assert {a.finding_id for a in run.already_fixed} == {f.id for f in fixed}


def test_causes_no_version_fixed_can_still_be_suggested(demo, demo_findings):
    """The check is not vacuous: unfixed missing-content causes are suggested when the
    wording may attribute them (suggest.missing_content_attribution: any)."""
    root = demo[0]
    forced = _as_discoveries(demo_findings)
    fixed = {f.id for f in _shipped_fixes(root, forced)}
    run = _run(root, forced, missing_content_attribution="any")
    gate_suggestions = [s for s in run.suggestions
                        if any(i.startswith("gate_failure_root_cause") for i in s.finding_ids)]
    assert gate_suggestions
    for s in gate_suggestions:
        assert not set(s.finding_ids) & fixed
        assert "by wording, not tested" in s.attribution or "differs" in s.attribution


def test_the_rationale_never_claims_a_missing_requirement_unchecked(demo, demo_findings):
    run = _run(demo[0], _as_discoveries(demo_findings), missing_content_attribution="any")
    clarity = [s for s in run.suggestions if s.suggestion_type == "constraint_clarity"
               and any(i.startswith("gate_failure") for i in s.finding_ids)]
    assert clarity
    for s in clarity:
        rationale = s.proposed_change.rationale
        assert "does not require it" not in rationale
        assert re.search(r"No section of \S+ states it: the closest, '[^']+', holds \d+%",
                         rationale) or "could not be checked" in rationale


# -- runtime and infrastructure errors --------------------------------------------------


@pytest.mark.parametrize("text", [
    "An error occurred: module 'os' has no attribute 'setsid'",
    "Traceback (most recent call last):\n  File \"main.py\", line 4, in <module>",
    "ModuleNotFoundError: No module named 'pygame'",
    "Test test_login intermittently times out",
    "connect ECONNREFUSED 127.0.0.1:5432",
    "Connection refused by the database host",
    "Process exited with code 137",
    "npm ERR! ERESOLVE could not resolve react-router",
    "UI test crash on iPhone SE (iOS 16)",
])
def test_runtime_errors_are_recognised(text):
    assert is_runtime_error(text)


@pytest.mark.parametrize("text", [
    "Endpoint POST /orders has no error responses defined",
    "No tests for edge cases in auth (null, empty, boundary)",
    "The code is missing the import statement for the `tkinter` module in the `main.py` file.",
    "Errors in /reports fall through as HTTP 500",
    "AssertionError in test_checkout",
    "Coverage 71% below threshold 80%",
])
def test_content_failures_are_not_runtime_errors(text):
    assert not is_runtime_error(text)


def _runtime_cause(*, concentrated: bool) -> Finding:
    finding = f.gate_root_cause()
    finding.key = {"gate_id": "software_test", "cause": "An error occurred: module <name> "
                   "has no attribute <name>"}
    ev = finding.evidence
    assert isinstance(ev, GateCauseEvidence)
    ev.gate_id, ev.cause = "software_test", finding.key["cause"]
    ev.phrasings = [TextCount(text="An error occurred: module 'os' has no attribute 'setsid'",
                              count=26)]
    ev.by_version = [
        VersionRate(version="architect.v1.0", failures=14, checks=40, projects=20, rate=0.35,
                    low=0.2, high=0.5),
        VersionRate(version="architect.v2.0", failures=12, checks=40, projects=20, rate=0.3,
                    low=0.17, high=0.46),
    ]
    ev.p_versions_differ = 0.04  # versions differ two-sided, but ...
    ev.segment = (
        Segment(by="prompt_version", value="architect.v2.0", failures=12, checks=40, rate=0.3,
                p_concentrated=0.001, rate_ratio=3.0)
        if concentrated else
        Segment(by="platform", value="Application", failures=20, checks=60, rate=0.33,
                p_concentrated=1.0, rate_ratio=1.0)  # ... it is not concentrated in one
    )
    return finding


def test_a_runtime_error_cause_is_not_a_prompt_edit(af_root):
    registry = f.make_registry(af_root)
    run = suggest_run([_runtime_cause(concentrated=False)], registry, now=NOW)
    assert run.suggestions == []
    (aside,) = run.unattributed
    assert aside.reason == "runtime_error" and aside.gate_id == "software_test"
    assert "100% of its failures read as runtime or infrastructure errors" in aside.explanation
    assert aside.example == "An error occurred: module 'os' has no attribute 'setsid'"
    assert run.already_fixed == []


def test_a_runtime_error_concentrated_in_one_version_is_the_prompts(af_root):
    registry = f.make_registry(af_root)
    run = suggest_run([_runtime_cause(concentrated=True)], registry, now=NOW)
    assert [s.suggestion_type for s in run.suggestions] == ["example_addition"]
    assert "concentrated in architect.v2.0" in run.suggestions[0].attribution
    assert run.set_aside == []


def test_chatdev_runtime_errors_are_set_aside(chatdev):
    """The test runner's "module 'os' has no attribute 'setsid'" and the tracebacks of
    ChatDev's software test gate are never prompt edits, whatever their statistics."""
    root, saved = chatdev
    run = _run(root, _as_discoveries(load_findings(saved)),
               missing_content_attribution="any")
    runtime = [a for a in run.unattributed if a.reason == "runtime_error"]
    assert any("setsid" in (a.example or "") for a in runtime)
    assert any("Traceback" in a.finding_id for a in runtime)
    for s in run.suggestions:
        assert "setsid" not in s.proposed_change.new_text
        assert "Traceback" not in s.proposed_change.new_text


# -- clean prose ------------------------------------------------------------------------


def _assert_clean(run: SuggestRun, config: SuggestSettings) -> None:
    assert run.suggestions
    for s in run.suggestions:
        change = s.proposed_change
        added = added_text(change.old_text, change.new_text)
        assert len(added) <= config.max_added_chars + 2, (s.suggestion_id, len(added))
        assert not PLACEHOLDER.search(added), added
        assert "Instead:" not in added and "Avoid:" not in added
        assert "must not produce" not in added
        for line in added.splitlines():
            assert not looks_like_code(line), line
            assert "Traceback" not in line and 'File "' not in line
        for quote in re.findall(r'"([^"]*)"', added):
            assert len(quote) <= config.max_quote_chars, quote
            assert not PLACEHOLDER.search(quote)
        assert not PLACEHOLDER.search(change.rationale.replace("<*>", "")), change.rationale


def test_clean_prose_in_the_simulated_world(demo, demo_findings):
    config = SuggestSettings(missing_content_attribution="any", min_failures=1)
    run = _run(demo[0], _as_discoveries(demo_findings), **config.model_dump())
    _assert_clean(run, config)
    kinds = {s.suggestion_type for s in run.suggestions}
    assert "constraint_clarity" in kinds


def test_clean_prose_on_chatdev(chatdev):
    root, saved = chatdev
    config = SuggestSettings(missing_content_attribution="any", min_failures=1,
                             min_rejections=1, max_added_chars=600)
    run = _run(root, _as_discoveries(load_findings(saved)), **config.model_dump())
    _assert_clean(run, config)
    text = "\n".join(s.proposed_change.new_text for s in run.suggestions)
    assert "```" not in text and "import tkinter" not in text
    # ChatDev's code review comments, quoted up to their first code block only.
    assert '"The code is missing the import statement for the' in text


def test_pasted_code_never_reaches_a_prompt(af_root):
    """A reviewer's comment that pastes a whole file (ChatDev's code reviews do) is quoted
    up to its code, identifiers intact; the handoff's text stays within the budget."""
    registry = f.make_registry(af_root)
    code = "```python\n" + "def undo(self):\n    self.room_planner.pop()\n" * 400 + "```"
    comment = ("The highest priority comment is that the `Furniture` class in "
               "`room_planner.py` is missing the `undo` and `redo` methods.\n\n" + code)
    assert len(comment) > 14_000
    finding = f.handoff()
    assert isinstance(finding.evidence, HandoffEvidence)
    finding.evidence.feedback = [FeedbackCount(text=comment, count=9, severity="major"),
                                 *finding.evidence.feedback]
    (made,) = suggest_run([finding], registry, now=NOW).suggestions
    added = added_text(made.proposed_change.old_text, made.proposed_change.new_text)
    config = SuggestSettings()
    assert len(added) <= config.max_added_chars + 2
    assert "`room_planner.py`" in added and "room planner" not in added
    assert "def undo" not in added and "```" not in added and "self." not in added


def test_quotes_and_requirements_from_real_comments():
    comment = (
        "The code is missing the import statement for the `datetime` module in the "
        "`timer.py` file. This will cause an error when trying to use the `datetime` class. "
        "To fix this, add the following import statement at the top of the `timer.py` "
        "file:\n\n```python\nfrom datetime import datetime\n```\n\nThis will import it."
    )
    quote = clean_quote(comment, 160)
    assert quote == ("The code is missing the import statement for the `datetime` module in "
                     "the `timer.py` file. This will cause an error when trying to use the "
                     "`datetime` class.")  # cut at the last sentence end within 160
    assert clean_quote(comment, 100) == (
        "The code is missing the import statement for the `datetime` module in the "
        "`timer.py` file.")
    assert clean_quote("def main():\n    game.start()", 160) is None
    assert clean_quote("Tests fail only on <name>", 160) is None
    assert clean_quote("x" * 10 + " word" * 60, 160).endswith("...")
    assert len(clean_quote("word " * 100, 160)) <= 160
    # Requirements only where a phrase yields one cleanly (never from masked labels).
    assert requirements([("Possible SQL injection via amount in /invoices", 3)]) == []
    assert requirements([("No tests for edge cases in auth (null, empty, boundary)", 4),
                         ("No tests for edge cases in billing (null, empty, boundary)", 3)]) == [
        "Include tests for edge cases."]


# -- one suggestion per section, estimates, experiments ---------------------------------


def test_one_suggestion_per_role_and_section(af_root, demo, demo_findings):
    registry = f.make_registry(af_root)
    runs = [
        suggest_run(f.all_findings(), registry, now=NOW),
        _run(demo[0], _as_discoveries(demo_findings), missing_content_attribution="any",
             min_failures=1),
    ]
    merged = 0
    for run in runs:
        assert run.suggestions
        keys = [(s.agent_role, s.proposed_change.section) for s in run.suggestions]
        assert len(keys) == len(set(keys))
        for s in run.suggestions:
            assert "Edits the same section as" not in s.proposed_change.rationale
            merged += len(s.finding_ids) > 1
    assert merged  # some suggestions do merge changes to one section


def test_merged_blocks_share_their_headers():
    a = ["Gate g requires:", "- Include x.", "Check these:", '- "one" (2x)']
    b = ["Gate g requires:", "- Include x.", "- Include y.", "Check these:", '- "two" (1x)']
    c = ["Handoff to qa:", "- z"]
    assert combine_blocks([a, b, c]) == [
        ["Gate g requires:", "- Include x.", "- Include y.", "Check these:", '- "one" (2x)',
         '- "two" (1x)'],
        c,
    ]


def _all_runs(af_root: Path, demo, demo_findings) -> list[SuggestRun]:
    registry = f.make_registry(af_root)
    return [
        suggest_run(f.all_findings(), registry, now=NOW),
        suggest_run(demo_findings, PromptRegistry(demo[0]), now=NOW),
        _run(demo[0], _as_discoveries(demo_findings), missing_content_attribution="any"),
    ]


def test_estimates_have_intervals_within_0_and_1(af_root, demo, demo_findings):
    checked = 0
    for run in _all_runs(af_root, demo, demo_findings):
        for s in run.suggestions:
            impact = s.expected_impact
            assert 0 <= s.confidence <= 1
            assert s.confidence_basis.startswith("a score, not a calibrated probability")
            for value, interval in (
                (impact.gate_success_improvement, impact.gate_success_interval),
                (impact.retry_reduction, impact.retry_reduction_interval),
            ):
                assert interval is not None
                low, high = interval
                assert 0 <= low <= value + 1e-9 <= high + 2e-9 <= 1 + 2e-9
            assert "prior" in impact.basis or "not estimated" in impact.basis
            checked += 1
    assert checked >= 10


def test_confidence_is_the_documented_score(af_root):
    registry = f.make_registry(af_root)
    finding = f.gate_root_cause()  # q = 0.001 over 140 projects, tested by concentration
    (made,) = suggest_run([finding], registry, now=NOW).suggestions
    expected = 0.9 * (1 - 0.001) * 140 / (140 + 10)
    assert made.confidence == pytest.approx(round(expected, 2))
    weaker = f.discovery(f.gate_root_cause(), q=0.04)
    (less,) = suggest_run([weaker], registry, now=NOW).suggestions
    assert less.confidence < made.confidence
    # Impact: efficacy prior x the measured rate, with the measured interval scaled.
    assert made.expected_impact.gate_success_improvement == pytest.approx(0.7 * 0.26)
    assert made.expected_impact.gate_success_interval == pytest.approx((0.7 * 0.2, 0.7 * 0.33))


def test_each_suggestion_names_its_experiment(af_root, demo, demo_findings):
    checked = 0
    for run in _all_runs(af_root, demo, demo_findings):
        for s in run.suggestions:
            plan = s.experiment
            assert plan is not None
            assert plan.command.startswith(f"autoforge ab start --role {s.agent_role} ")
            assert f"--control {s.base_version or 'none'}" in plan.command
            assert f"--treatment {plan.treatment}" in plan.command
            assert f"--metric {plan.metric}" in plan.command
            n = plan.planned_projects_per_arm
            assert n >= 2 and plan.expected_effect > 0 and plan.assumed_sd > 0
            d = plan.expected_effect / plan.assumed_sd
            if n >= MAX_PROJECTS:
                assert "too small to test" in plan.basis
                continue
            assert power_two_sample(d, n, n, alpha=plan.alpha) >= plan.power
            if n > 2:
                assert power_two_sample(d, n - 1, n - 1, alpha=plan.alpha) < plan.power
            assert "power" in plan.basis
            checked += 1
    assert checked >= 10


def test_the_gate_experiment_is_sized_for_the_gate_pass_rate(af_root):
    registry = f.make_registry(af_root)
    (made,) = suggest_run([f.gate_root_cause()], registry, now=NOW).suggestions
    plan = made.experiment
    assert plan.metric == "gate_pass_rate" and plan.gate_id == "api_contract_present"
    assert plan.control == "architect.v2.0" and plan.treatment == "architect.v2.1"
    # Binomial SD of a project's first-check pass rate at the gate's failure rate (>= 1
    # overdispersion), one check per project here.
    assert plan.assumed_sd >= math.sqrt(0.336 * (1 - 0.336)) - 1e-9
