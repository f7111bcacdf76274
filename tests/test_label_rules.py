from __future__ import annotations

import pytest

from autoforge_learn.label import (
    agent_decision_label,
    gate_result_label,
    output_quality_label,
    prompt_effectiveness_label,
)


def _gate(**kw):
    base = dict(
        validation_result="fail",
        retry_attempt=1,
        max_retries=3,
        auto_fix_success=None,
        escalated=False,
        human_resolved=False,
    )
    return gate_result_label(**{**base, **kw})


def test_gate_label_follows_the_spec_in_order():
    assert _gate(validation_result="pass", escalated=True) == "excellent"
    assert _gate(auto_fix_success=True, retry_attempt=2) == "good"
    # On the last allowed attempt a successful fix is not "good" (retry_attempt < max).
    assert _gate(auto_fix_success=True, retry_attempt=3) == "poor"
    assert _gate(auto_fix_success=True, retry_attempt=3, escalated=True, human_resolved=True) == (
        "acceptable"
    )
    assert _gate(escalated=True, human_resolved=False, retry_attempt=3) == "poor"
    assert _gate(validation_result="ambiguous") == "poor"
    assert _gate(auto_fix_success=False) == "poor"


def test_decision_label_nearby_options_and_default_confidence():
    options = ["A", "B", "C", "D"]
    assert agent_decision_label(agent_recommendation="B", human_decision=" B ") == ("correct", 50.0)
    assert agent_decision_label(
        agent_recommendation="B", human_decision="C", options_offered=options, human_confidence=80
    ) == ("reasonable", 80.0)
    assert (
        agent_decision_label(agent_recommendation="B", human_decision="A", options_offered=options)[
            0
        ]
        == "reasonable"
    )
    assert (
        agent_decision_label(agent_recommendation="B", human_decision="D", options_offered=options)[
            0
        ]
        == "incorrect"
    )
    # Without the options laid out, nothing is "nearby".
    assert agent_decision_label(agent_recommendation="B", human_decision="C")[0] == "incorrect"
    assert agent_decision_label(
        agent_recommendation="B", human_decision="Z", options_offered=options, human_confidence=0
    ) == ("incorrect", 0.0)


@pytest.mark.parametrize(
    "success,retry,label",
    [
        (0.95, 0.5, "high"),
        (0.95, 1.0, "medium"),
        (0.90, 0.1, "medium"),  # "> 90%" is strict
        (0.76, 2.0, "medium"),
        (0.75, 0.0, "low"),
        (0.2, 0.0, "low"),
    ],
)
def test_prompt_effectiveness_label(success, retry, label):
    assert prompt_effectiveness_label(success_rate=success, retry_rate=retry) == label


@pytest.mark.parametrize(
    "score,label",
    [
        (100, "production_ready"),
        (85, "production_ready"),
        (84.99, "needs_minor_fixes"),
        (70, "needs_minor_fixes"),
        (69.9, "needs_rework"),
        (0, "needs_rework"),
    ],
)
def test_output_quality_label(score, label):
    assert output_quality_label(score) == label


def test_the_vectorized_gate_rule_is_the_scalar_rule_on_every_combination():
    import itertools

    import pandas as pd

    from autoforge_learn.label.run import label_gates

    combos = list(
        itertools.product(
            ["pass", "fail", "ambiguous"],
            [1, 2, 3, 4],
            [None, 3, 2],
            [None, True, False],
            [False, True],
            [False, True],
            [False, True],
        )
    )
    gates = pd.DataFrame(
        [
            {
                "event_id": str(i),
                "project_id": "P",
                "stage": "s",
                "gate_id": f"g{i}",
                "agent_role": "qa",
                "prompt_version": None,
                "validation_result": vr,
                "retry_attempt": retry,
                "max_retries": mx,
                "auto_fix_success": fix,
                "escalated": esc,
                "human_override": human,
            }
            for i, (vr, retry, mx, fix, esc, human, _) in enumerate(combos)
        ]
    )
    # Escalations resolved for the odd-numbered gates: the other way to be human-resolved.
    escalations = pd.DataFrame(
        [
            {"project_id": "P", "stage": "s", "gate_id": f"g{i}", "resolved": True}
            for i, c in enumerate(combos)
            if c[6]
        ]
    )
    labeled = label_gates(gates, escalations, default_max_retries=3)
    for i, (vr, retry, mx, fix, esc, human, resolved) in enumerate(combos):
        expected = gate_result_label(
            validation_result=vr,
            retry_attempt=retry,
            max_retries=mx or 3,
            auto_fix_success=fix,
            escalated=esc,
            human_resolved=human or resolved,
        )
        assert labeled["quality"].iloc[i] == expected, combos[i]


def test_a_resolved_escalation_resolves_the_checks_of_its_project_stage_and_gate():
    import pandas as pd

    from autoforge_learn.label.run import label_gates

    def check(i: int, project: str, stage: str | None, gate: str | None) -> dict[str, object]:
        return {"event_id": f"e{i}", "project_id": project, "stage": stage, "gate_id": gate,
                "agent_role": "qa", "prompt_version": None, "validation_result": "fail",
                "retry_attempt": 1, "max_retries": 3, "auto_fix_success": False,
                "escalated": True, "human_override": False}

    gates = pd.DataFrame([
        check(0, "P", "s", "g"),  # resolved below
        check(1, "P", "s", "h"),  # another gate
        check(2, "Q", "s", "g"),  # another project: only unresolved there
        check(3, "P", None, "g"),  # a missing stage matches a missing stage
        check(4, "P", "s\x1fg", None),  # no text of two keys passes for another's
        check(5, "P", "s", None),
    ])
    escalations = pd.DataFrame([
        {"project_id": "P", "stage": "s", "gate_id": "g", "resolved": True},
        {"project_id": "Q", "stage": "s", "gate_id": "g", "resolved": False},
        {"project_id": "P", "stage": None, "gate_id": "g", "resolved": True},
        {"project_id": "P", "stage": "s", "gate_id": "\x1fg", "resolved": True},
        {"project_id": "P", "stage": "s", "gate_id": "None", "resolved": None},
    ])
    labeled = label_gates(gates, escalations, default_max_retries=3)
    assert labeled["human_resolved"].tolist() == [True, False, False, True, False, False]
    assert labeled["quality"].tolist() == ["acceptable", "poor", "poor", "acceptable", "poor",
                                           "poor"]
