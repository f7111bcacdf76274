"""Feedback loops: the six triggers, evaluated on findings and data.

Each fired trigger yields a :class:`LoopAction`. A loop fires only on a claim that
survives the false discovery correction (thresholds from the ``loops`` settings):

1. ``loop_1_gate_failures``: a gate failure root cause that is a discovery (its rate
   beyond ``cause_rate``, judged with the run's claims) and failed at least
   ``same_cause_min`` times.
2. ``loop_2_human_overrides``: a human override finding that is a discovery and at
   least ``override_rate`` overridden.
3. ``loop_3_downstream_feedback``: a handoff whose rejection rate exceeds the threshold
   significantly (a discovery) with at least ``min_rejections`` rejections.
4. ``loop_4_quality_regression``: the quality scores of the projects after the first
   ``quality_history`` of the selection drop below those projects' mean, by an
   always-valid sequential test (:mod:`autoforge_learn.stats.sequential`: valid however
   often ``train`` looks; against the reference mean's lower confidence bound, the
   p-value doubled, since that mean is an estimate too), by more than ``quality_drop``
   of it. Monitoring starts after
   the first ``quality_history`` projects of the selection: to watch a change, train
   with ``--since`` the change.
5. ``loop_5_token_efficiency``: a prompt version uses more than ``token_increase`` (20%)
   more tokens per successful output than the previous version of its role (by first
   use), over projects, and its first-time pass rate is not significantly better.
6. ``loop_6_autonomy_calibration``: the escalation rate (escalated gate checks / gate
   checks) or the override rate (overrides / decisions) of the last
   ``recent_projects`` projects differs from that of the projects before, over projects
   (two-sided).

Loops 1-3 use the detectors' judged findings. Loops 4-6 test claims of their own:
those are one family of their own, adjusted with Benjamini-Hochberg at ``alpha``; a
claim resting on fewer projects than ``patterns.min_projects`` does not fire.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import (
    Finding,
    GateCauseEvidence,
    HandoffEvidence,
    Hypothesis,
    OverrideEvidence,
    Status,
)
from autoforge_learn.patterns.claims import estimate, per_project, versus_group
from autoforge_learn.patterns.common import r

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.selection import Selection
    from autoforge_learn.settings import LoopSettings, PatternSettings
    from autoforge_learn.workspace import Workspace

#: The actions each loop proposes, per loop.
LOOP_ACTIONS: dict[str, list[str]] = {
    "loop_1_gate_failures": [
        "extract_failure_examples", "propose_prompt_improvement",
        "run_A_B_test: new_prompt vs old_prompt on next 5 projects",
        "measure: gate_success_rate, retry_rate, human_override_rate",
        "if_winning: commit_new_prompt_as_default",
    ],
    "loop_2_human_overrides": [
        "analyze_override_examples",
        "propose_context_enrichment: customer_impact, revenue_impact, technical_risk",
        "retest: agent makes same decisions on new context",
        "if_improved: update agent prompt with new context",
    ],
    "loop_3_downstream_feedback": [
        "log_which_agent_provides_best_feedback", "create_feedback_message",
        "upstream agent updates prompt with downstream feedback",
        "measure: downstream_satisfaction_with_upstream_outputs",
    ],
    "loop_4_quality_regression": [
        "identify_root_cause: new_agent_model, updated_prompt, harder_domain, team_change",
        "if_caused_by_prompt_change: revert_or_improve",
        "if_caused_by_agent_model: compare_model_performance",
        "if_caused_by_domain: flag_domain_specific_gap and add_training_data",
        "publish_finding",
    ],
    "loop_5_token_efficiency": [
        "compare_output_quality: old_version, new_version",
        "if_quality_same: optimize_prompt_for_brevity",
        "if_quality_better: accept_higher_cost or seek_compromise",
        "store_insight",
    ],
    "loop_6_autonomy_calibration": [
        "lower_autonomy_decision_threshold: increase human oversight",
        "or_repattern_agent_prompts: add humility and uncertainty",
        "test_on_next_3_projects",
        "measure: escalation_rate, success_rate, human_satisfaction",
    ],
}


@dataclass
class LoopAction:
    """One fired feedback-loop trigger.

    Attributes:
        loop_id: e.g. ``loop_1_gate_failures``.
        trigger: What fired, in words with the numbers.
        evidence: The numbers behind it, JSON-ready.
        actions: The actions the loop proposes.
        finding_ids: Ids of related findings.
        agent_role: The role to act on, if any.
        hypothesis: The loop's own claim (loops 4-6), judged with the other loops'.
    """

    loop_id: str
    trigger: str
    evidence: dict[str, Any] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    finding_ids: list[str] = field(default_factory=list)
    agent_role: str | None = None
    hypothesis: Hypothesis | None = None
    projects: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _action(loop_id: str, trigger: str, evidence: dict[str, Any], finding_ids: list[str],
            role: str | None, **rest: Any) -> LoopAction:
    return LoopAction(loop_id, trigger, evidence, list(LOOP_ACTIONS[loop_id]), finding_ids,
                      role, **rest)


def _from_findings(findings: list[Finding], cfg: LoopSettings) -> list[LoopAction]:
    """Loops 1-3: the detectors' discoveries."""
    out = []
    for f in findings:
        ev = f.evidence
        if f.status != Status.DISCOVERY:
            continue
        if isinstance(ev, GateCauseEvidence) and ev.failures >= cfg.same_cause_min:
            out.append(_action(
                "loop_1_gate_failures",
                f"{ev.gate_id} failed {ev.failures} times for '{ev.cause}' "
                f"({ev.share_of_failures or 0:.0%} of its failures; {f.projects} projects)",
                ev.model_dump(mode="json", include={
                    "gate_id", "cause", "failures", "gate_failure_rate", "share_of_failures",
                    "phrasings", "versions"}),
                [f.id], f.agent_role, projects=f.projects))
        elif isinstance(ev, OverrideEvidence) and f.value >= cfg.override_rate:
            out.append(_action(
                "loop_2_human_overrides",
                f"{f.key['agent_role']} {f.key['decision_type']} overridden {f.value:.0%} "
                f"({ev.overrides} of {ev.decisions}; {f.projects} projects)",
                ev.model_dump(mode="json", exclude={"type"}), [f.id], f.agent_role,
                projects=f.projects))
        elif isinstance(ev, HandoffEvidence) and ev.rejections >= cfg.min_rejections:
            out.append(_action(
                "loop_3_downstream_feedback",
                f"{f.key['to_role']} rejected {f.key['from_role']}'s output "
                f"{ev.rejections} times ({ev.rejection_rate or 0:.0%} of handoffs; "
                f"{f.projects} projects)",
                {"from": f.key["to_role"], "to": f.key["from_role"],
                 **ev.model_dump(mode="json", exclude={"type"})}, [f.id],
                f.key["from_role"], projects=f.projects))
    return out


def _quality(data: Dataset, cfg: LoopSettings) -> list[LoopAction]:
    """Loop 4: a sustained drop of quality after the first ``quality_history`` projects,
    by an always-valid test (sigma from the reference projects, mixture scale half a
    sigma: drops of that size are what it looks for)."""
    from autoforge_learn.stats.sequential import always_valid_p, drop_e_values

    scored = data.projects[data.projects["quality_score"].notna()]
    values = [float(x) for x in scored["quality_score"]]
    history = cfg.quality_history
    reference, stream = values[:history], values[history:]
    if len(reference) < 3 or not stream:
        return []
    from autoforge_learn.stats.dist import t_ppf

    mean = sum(reference) / len(reference)
    sigma = max(math.sqrt(sum((x - mean) ** 2 for x in reference) / (len(reference) - 1)),
                1e-6 * max(1.0, abs(mean)))
    # The reference mean is itself an estimate from a few projects: the stream is tested
    # against its lower confidence bound (one-sided, alpha / 2) and the p-value doubled,
    # so that a lucky reference does not make the ordinary projects after it a "drop".
    t = t_ppf(1 - cfg.alpha / 2, len(reference) - 1)
    floor = mean - t * sigma / math.sqrt(len(reference))
    p = min(1.0, 2 * always_valid_p(drop_e_values([x - floor for x in stream], sigma=sigma,
                                                  tau=sigma / 2)))
    recent = sum(stream) / len(stream)
    drop = 1 - recent / mean if mean else 0.0
    hypothesis = Hypothesis(
        claim=f"quality after the first {history} projects is below their mean {mean:.1f}",
        test="always-valid mixture sequential test (half-normal mixture, plug-in sigma) "
        f"against the reference mean's lower {1 - cfg.alpha / 2:.1%} bound, p doubled",
        p_value=p, effect=r(recent - mean, 4) or 0.0,
        effect_low=r(recent - mean - 2 * sigma / math.sqrt(len(stream)), 4) or 0.0,
        effect_high=r(recent - mean + 2 * sigma / math.sqrt(len(stream)), 4) or 0.0,
        baseline=f"the first {history} projects' mean quality", projects=len(stream),
    )
    if drop <= cfg.quality_drop:
        return []
    return [_action(
        "loop_4_quality_regression",
        f"quality of the {len(stream)} projects after the first {history} averages "
        f"{recent:.1f}, {drop:.0%} below their {mean:.1f}",
        {"reference_mean": r(mean, 2), "reference_projects": len(reference),
         "monitored_mean": r(recent, 2), "monitored_projects": len(stream),
         "drop": r(drop), "sigma": r(sigma, 3)},
        [], None, hypothesis=hypothesis, projects=len(values))]


def _tokens(data: Dataset, cfg: LoopSettings) -> list[LoopAction]:
    """Loop 5: each version against the previous version of its role (by first use)."""
    from autoforge_learn.patterns.tokens import token_counts

    runs = data.runs
    if runs.empty:
        return []
    runs = token_counts(runs[runs["prompt_version"].notna()])
    out = []
    for role, group in runs.groupby("agent_role", sort=True):
        order = group.groupby("prompt_version")["ts"].min().sort_values(kind="stable")
        versions = list(order.index)
        for prev, cur in zip(versions, versions[1:], strict=False):
            action = _version_step(str(role), str(prev), str(cur), group, cfg)
            if action is not None:
                out.append(action)
    return out


def _version_step(role: str, prev: str, cur: str, group: Any, cfg: LoopSettings
                  ) -> LoopAction | None:
    a, b = group[group["prompt_version"] == cur], group[group["prompt_version"] == prev]
    cmp, hypothesis = versus_group(
        per_project(a, a["tokens"], a["ok"]), per_project(b, b["tokens"], b["ok"]),
        claim=f"{cur} uses more than {cfg.token_increase:.0%} more tokens per successful "
        f"output than {prev}",
        baseline_name=f"{prev}, plus {cfg.token_increase:.0%}", scale="positive",
        baseline_factor=1 + cfg.token_increase,
    )
    quality = versus_group(per_project(a, a["all_first_pass"]),
                           per_project(b, b["all_first_pass"]), claim="", baseline_name="")[0]
    ea, eb = estimate(per_project(a, a["tokens"], a["ok"]), scale="positive"), estimate(
        per_project(b, b["tokens"], b["ok"]), scale="positive")
    if cmp is None or hypothesis is None or ea is None or eb is None or not eb.value:
        return None
    if quality is not None and quality.p_value < cfg.alpha:
        return None  # the extra tokens buy quality
    increase = ea.value / eb.value - 1
    return _action(
        "loop_5_token_efficiency",
        f"{cur} uses {increase:+.0%} tokens per successful output vs {prev} "
        f"({ea.projects} vs {eb.projects} projects)",
        {"prompt_version": cur, "previous_version": prev, "avg_tokens": r(ea.value, 1),
         "previous_avg_tokens": r(eb.value, 1), "increase": r(increase),
         "pass_rate": r(quality.a.value) if quality else None,
         "previous_pass_rate": r(quality.b.value) if quality else None},
        [f"token_efficiency:prompt_version={cur}"], role, hypothesis=hypothesis,
        projects=ea.projects + eb.projects)


def _shift(data: Dataset, cfg: LoopSettings) -> list[LoopAction]:
    """Loop 6: escalation and override rates of the recent projects against before."""
    from autoforge_learn.patterns.overrides import overridden

    order = list(data.projects["project_id"])
    recent_n = cfg.recent_projects
    if len(order) <= recent_n:
        return []
    recent = set(order[-recent_n:])
    out = []
    g, a = data.gates, data.approvals
    measures = [
        ("escalation_rate", g, g["escalated"].fillna(False).astype(bool) if len(g) else None),
        ("override_rate", a, overridden(a) if len(a) else None),
    ]
    for name, frame, hits in measures:
        if hits is None:
            continue
        inside = frame["project_id"].isin(recent).to_numpy()
        cmp, hypothesis = versus_group(
            per_project(frame[inside], hits[inside]), per_project(frame[~inside], hits[~inside]),
            claim=f"the {name.replace('_', ' ')} of the last {recent_n} projects differs from "
            "the projects' before", baseline_name="the projects before", alternative="two-sided",
        )
        if cmp is None or hypothesis is None:
            continue
        out.append(_action(
            "loop_6_autonomy_calibration",
            f"{name} moved from {cmp.b.value:.1%} to {cmp.a.value:.1%} in the last {recent_n} "
            f"projects (t = {cmp.statistic:.2f}, {cmp.a.projects} vs {cmp.b.projects} projects)",
            {"measure": name, "recent": {"rate": r(cmp.a.value), "projects": cmp.a.projects},
             "before": {"rate": r(cmp.b.value), "projects": cmp.b.projects},
             "t": r(cmp.statistic), "p_value": cmp.p_value, "recent_projects": recent_n},
            [], None, hypothesis=hypothesis, projects=cmp.a.projects + cmp.b.projects))
    return out


def _fired(candidates: list[LoopAction], cfg: LoopSettings, patterns: PatternSettings
           ) -> list[LoopAction]:
    """The loops' own claims adjusted together (Benjamini-Hochberg at ``alpha``): those
    that are discoveries, on enough projects, fire."""
    from autoforge_learn.stats.multiple import benjamini_hochberg

    tested = [c for c in candidates if c.hypothesis is not None]
    q = benjamini_hochberg([c.hypothesis.p_value for c in tested if c.hypothesis])
    fired = []
    for action, q_value in zip(tested, q, strict=True):
        assert action.hypothesis is not None
        action.hypothesis.q_value = round(float(q_value), 6)
        small = action.hypothesis.projects < patterns.min_group_projects or (
            action.projects < patterns.min_projects)
        if q_value <= cfg.alpha and not small:
            fired.append(action)
    return fired


def evaluate_loops(
    ws: Workspace,
    findings: list[Finding],
    selection: Selection | None = None,
    *,
    data: Dataset | None = None,
) -> list[LoopAction]:
    """Evaluate the six feedback-loop triggers on judged ``findings`` and the selected
    events.

    Args:
        ws: The workspace (its settings' ``loops`` section sets the triggers).
        findings: Findings of :func:`~autoforge_learn.patterns.detect.detect_patterns`
            (already judged: loops 1-3 fire on their discoveries).
        selection: Which events (default: all); ignored when ``data`` is given.
        data: An already loaded dataset (the one the findings came from).

    Returns:
        One action per fired trigger, in loop order.
    """
    from autoforge_learn.dataset import load_dataset

    cfg = ws.settings.loops
    if data is None:
        data = load_dataset(ws, selection)
    own = _quality(data, cfg) + _tokens(data, cfg) + _shift(data, cfg)
    actions = _from_findings(findings, cfg) + _fired(own, cfg, ws.settings.patterns)
    return sorted(actions, key=lambda a: a.loop_id)
