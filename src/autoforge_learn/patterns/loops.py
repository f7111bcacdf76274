"""Feedback loops (spec 5.1): the six triggers, evaluated on findings and data.

Each fired trigger yields a :class:`LoopAction`. The triggers (thresholds from the
``loops`` settings):

1. ``loop_1_gate_failures``: a gate failed ``same_cause_min`` (3)+ times with the same
   root cause (a pattern-1 finding's ``failures``).
2. ``loop_2_human_overrides``: a decision type of a role is overridden
   ``>= override_rate`` (50%) of the time (pattern-4 finding).
3. ``loop_3_downstream_feedback``: a downstream agent rejected a prior agent's output
   at least ``min_rejections`` times (pattern-3 finding).
4. ``loop_4_quality_regression``: a project's ``quality_score`` lies below the 95%
   prediction interval of the previous ``quality_history`` (N) projects *and* more than
   ``quality_drop`` (10%) below their mean. With prior mean m and standard deviation s
   (ddof 1), the lower bound is ``m - t(0.975, N-1) * s * sqrt(1 + 1/N)``. Checked for
   each of the last ``recent_projects`` projects.
5. ``loop_5_token_efficiency``: a prompt version uses more than ``token_increase`` (20%)
   more tokens per successful output than the previous version of the same role
   (versions ordered by first use).
6. ``loop_6_autonomy_calibration``: the escalation rate (escalated gate checks / gate
   checks) or the override rate (overrides / decisions) of the last
   ``recent_projects`` projects differs from that of the projects before, by a
   two-proportion z-test (pooled, as statsmodels' ``proportions_ztest``) at ``alpha``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from autoforge_learn.findings import (
    Finding,
    GateCauseEvidence,
    HandoffEvidence,
    OverrideEvidence,
    Pattern,
)
from autoforge_learn.patterns.common import r

if TYPE_CHECKING:
    from autoforge_learn.dataset import Dataset
    from autoforge_learn.selection import Selection
    from autoforge_learn.settings import LoopSettings
    from autoforge_learn.workspace import Workspace

#: The actions of spec 5.1, per loop.
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
        actions: The spec's actions for the loop.
        finding_ids: Ids of related findings.
        agent_role: The role to act on, if any.
    """

    loop_id: str
    trigger: str
    evidence: dict[str, Any] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    finding_ids: list[str] = field(default_factory=list)
    agent_role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _action(loop_id: str, trigger: str, evidence: dict[str, Any], finding_ids: list[str],
            role: str | None) -> LoopAction:
    return LoopAction(loop_id, trigger, evidence, list(LOOP_ACTIONS[loop_id]), finding_ids,
                      role)


def quality_lower_bound(prior: list[float], *, confidence: float = 0.95) -> float | None:
    """Lower end of the prediction interval of the next value after ``prior``:
    ``m - t((1+confidence)/2, N-1) * s * sqrt(1 + 1/N)``; None with fewer than 3 values."""
    from scipy import stats

    n = len(prior)
    if n < 3:
        return None
    m = sum(prior) / n
    s = math.sqrt(sum((x - m) ** 2 for x in prior) / (n - 1))
    return m - float(stats.t.ppf((1 + confidence) / 2, n - 1)) * s * math.sqrt(1 + 1 / n)


def _from_findings(findings: list[Finding], cfg: LoopSettings) -> list[LoopAction]:
    out = []
    for f in findings:
        ev = f.evidence
        if isinstance(ev, GateCauseEvidence) and ev.failures >= cfg.same_cause_min:
            out.append(_action(
                "loop_1_gate_failures",
                f"{ev.gate_id} failed {ev.failures} times for '{ev.cause}' "
                f"({ev.share_of_failures or 0:.0%} of its failures)",
                ev.model_dump(mode="json", include={
                    "gate_id", "cause", "failures", "gate_failure_rate", "share_of_failures",
                    "phrasings", "versions"}),
                [f.id], f.agent_role))
        elif isinstance(ev, OverrideEvidence) and f.value >= cfg.override_rate:
            out.append(_action(
                "loop_2_human_overrides",
                f"{f.key['agent_role']} {f.key['decision_type']} overridden {f.value:.0%} "
                f"({ev.overrides} of {ev.decisions})",
                ev.model_dump(mode="json", exclude={"type"}), [f.id], f.agent_role))
        elif isinstance(ev, HandoffEvidence) and ev.rejections >= cfg.min_rejections:
            out.append(_action(
                "loop_3_downstream_feedback",
                f"{f.key['to_role']} rejected {f.key['from_role']}'s output "
                f"{ev.rejections} times ({ev.rejection_rate or 0:.0%} of handoffs)",
                {"from": f.key["to_role"], "to": f.key["from_role"],
                 **ev.model_dump(mode="json", exclude={"type"})}, [f.id],
                f.key["from_role"]))
    return out


def _quality(data: Dataset, cfg: LoopSettings) -> list[LoopAction]:
    history, drop = cfg.quality_history, cfg.quality_drop
    p = data.projects[data.projects["quality_score"].notna()].reset_index(drop=True)
    out = []
    start = max(history, len(p) - cfg.recent_projects)
    for i in range(start, len(p)):
        prior = [float(x) for x in p["quality_score"].iloc[i - history:i]]
        low = quality_lower_bound(prior)
        value = float(p["quality_score"].iloc[i])
        mean = sum(prior) / len(prior)
        if low is not None and value < low and value < mean * (1 - drop):
            row = p.iloc[i]
            out.append(_action(
                "loop_4_quality_regression",
                f"project {row['project_id']} quality {value:.1f} is "
                f"{1 - value / mean:.0%} below the previous {history} projects' mean "
                f"{mean:.1f} (prediction interval lower bound {low:.1f})",
                {"project_id": str(row["project_id"]), "quality_score": r(value, 2),
                 "prior_mean": r(mean, 2), "prediction_lower": r(low, 2),
                 "drop": r(1 - value / mean), "history": history,
                 "recipe": None if row.get("recipe") is None else str(row["recipe"])},
                [], None))
    return out


def _tokens(runs: Any, findings: list[Finding], cfg: LoopSettings) -> list[LoopAction]:
    from autoforge_learn.patterns.tokens import version_table

    table = version_table(runs)
    out = []
    by_version = {f.key.get("prompt_version"): f.id for f in findings
                  if f.pattern == Pattern.TOKEN_EFFICIENCY}
    for role, group in table.groupby("agent_role", sort=True):
        ordered = group[group["avg"].notna()].sort_values(["first_seen", "prompt_version"])
        rows = list(ordered.itertuples(index=False))
        for prev, cur in zip(rows, rows[1:], strict=False):
            ratio = cur.avg / prev.avg - 1
            if ratio > cfg.token_increase:
                out.append(_action(
                    "loop_5_token_efficiency",
                    f"{cur.prompt_version} uses {ratio:+.0%} tokens per successful output "
                    f"vs {prev.prompt_version}",
                    {"prompt_version": str(cur.prompt_version),
                     "previous_version": str(prev.prompt_version),
                     "avg_tokens": r(cur.avg, 1), "previous_avg_tokens": r(prev.avg, 1),
                     "increase": r(ratio), "pass_rate": r(cur.first_pass / cur.runs),
                     "previous_pass_rate": r(prev.first_pass / prev.runs)},
                    [by_version[cur.prompt_version]] if cur.prompt_version in by_version
                    else [], str(role)))
    return out


def _shift(data: Dataset, cfg: LoopSettings) -> list[LoopAction]:
    from autoforge_learn.patterns.overrides import overridden
    from autoforge_learn.patterns.tokens import proportions_z

    order = list(data.projects["project_id"])
    recent_n = cfg.recent_projects
    if len(order) <= recent_n:
        return []
    recent = set(order[-recent_n:])
    out = []
    g = data.gates
    a = data.approvals
    measures = [
        ("escalation_rate", g["project_id"].isin(recent),
         g["escalated"].fillna(False).astype(bool)),
        ("override_rate", a["project_id"].isin(recent), overridden(a) if len(a) else a),
    ]
    for name, in_recent, hit in measures:
        if len(hit) == 0:
            continue
        k1, n1 = int(hit[in_recent].sum()), int(in_recent.sum())
        k0, n0 = int(hit[~in_recent].sum()), int((~in_recent).sum())
        z, p = proportions_z(k1, n1, k0, n0)
        if n1 and n0 and p < cfg.alpha:
            out.append(_action(
                "loop_6_autonomy_calibration",
                f"{name} moved from {k0 / n0:.1%} to {k1 / n1:.1%} in the last {recent_n} "
                f"projects (z = {z:.2f}, p = {p:.3g})",
                {"measure": name, "recent": {"events": k1, "of": n1, "rate": r(k1 / n1)},
                 "before": {"events": k0, "of": n0, "rate": r(k0 / n0)},
                 "z": r(z), "p_value": p, "recent_projects": recent_n},
                [], None))
    return out


def evaluate_loops(
    ws: Workspace,
    findings: list[Finding],
    selection: Selection | None = None,
    *,
    data: Dataset | None = None,
) -> list[LoopAction]:
    """Evaluate the six triggers of spec 5.1 on ``findings`` and the selected events.

    Args:
        ws: The workspace (its settings' ``loops`` section sets the triggers).
        findings: Findings of :func:`~autoforge_learn.patterns.detect.detect_patterns`.
        selection: Which events (default: all); ignored when ``data`` is given.
        data: An already loaded dataset (the one the findings came from).

    Returns:
        One action per fired trigger, in loop order.
    """
    from autoforge_learn.dataset import load_dataset

    cfg = ws.settings.loops
    if data is None:
        data = load_dataset(ws, selection)
    actions = _from_findings(findings, cfg)
    actions += _quality(data, cfg)
    if not data.runs.empty:
        actions += _tokens(data.runs, findings, cfg)
    actions += _shift(data, cfg)
    return sorted(actions, key=lambda a: a.loop_id)
