"""Turn a parsed ChatDev run into training events, through the collector SDK.

Mapping (one run = one project):

* ``project_started``: folder, project name, organization, task prompt (extra fields);
  the recipe is ``chatdev_<chain config hash>``; ``team_size`` is the number of roles
  that spoke.
* ``stage_execution``: one per role-playing chat (one ChatDev phase run). ``stage_id``
  is the phase in snake case (``code_review_comment``), ``agent_role`` the chat's
  assistant (who does the work), the other side is kept as ``counterpart_role``; the
  original ChatDev names, the composed phase and its cycle are extra fields, and
  ``attempt`` is the cycle + 1. Tokens are the sums of the chat's per-call usage lines;
  the cost is estimated from the price table (``cost_estimated=True``) because ChatDev
  logs no per-call cost; when the log states the run's cost, the price variant that
  reproduces it is used (:func:`calibrate`), so the stages add up to it.
* ``gate_evaluation``: ``code_review`` (each CodeReviewComment chat: ``<INFO>
  Finished`` passes, anything else fails with the comment as reason),
  ``software_test`` (each ``[Test Reports]``: passes on "run successfully" or
  ``Test Pass!``, else fails with the report) and ``human_review`` (each human comment
  fails the review with the comment as reason; the human's ``End`` passes it). The
  agent judged is the ``programmer``; who judged is ``evaluated_by``.
* ``downstream_feedback``: each human comment, from ``human`` to the programmer.
* ``project_completed``: see :mod:`.outcome`.

Unknown values (``-1``, ``$0.000000`` next to ``-1`` tokens, a missing ``ModelType``) are
left out, never written as numbers. When ``ModelType`` is missing, the model used to
price tokens is inferred from the context window the log shows (4K: GPT_3_5_TURBO, 16K:
GPT_3_5_TURBO_16K, 8K: GPT_4, 32K: GPT_4_32K; else ChatDev's default GPT_3_5_TURBO) and
recorded as ``cost_model``, while ``agent_model`` stays unknown.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from autoforge_learn.collect.collector import Collector
from autoforge_learn.importers.chatdev.configs import (
    ChatDevConfigs,
    normalize_phase,
    normalize_role,
)
from autoforge_learn.importers.chatdev.model import ChatDevRun, Stage
from autoforge_learn.importers.chatdev.outcome import (
    LogClock,
    RunFigures,
    complete_project,
    outcome_values,
    sum_known,
)
from autoforge_learn.importers.prices import PriceTable

SOURCE = "chatdev"
DEFAULT_MODEL = "GPT_3_5_TURBO"
_WINDOW_MODELS = {4096: "GPT_3_5_TURBO", 8192: "GPT_4", 16000: "GPT_3_5_TURBO_16K"}
_WINDOW_MODELS.update({16384: "GPT_3_5_TURBO_16K", 32768: "GPT_4_32K"})
_BUG_WORDS = re.compile(r"\b(bug|error|crash|exception|broken|fail\w*|fix|wrong|not work)", re.I)
MAX_REASON = 4000


def _clip(text: str | None, limit: int = MAX_REASON) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def pricing_model(stage: Stage, swap: dict[str, str] | None = None) -> str:
    """The model whose prices estimate a stage's cost (see the module docstring).

    ``swap`` replaces a model by a variant, from :func:`calibrate`.
    """
    model = _pricing_model(stage)
    return (swap or {}).get(model, model)


def _pricing_model(stage: Stage) -> str:
    window = max((c.context_window or 0 for c in stage.calls), default=0)
    if stage.model:
        if stage.model == "GPT_3_5_TURBO" and window > 4096:
            return "GPT_3_5_TURBO_16K"  # ChatDev mapped GPT_3_5_TURBO to the 16K model
        return stage.model
    return _WINDOW_MODELS.get(window, DEFAULT_MODEL)


#: Price variants of one ModelType: ChatDev billed GPT_3_5_TURBO as the 16K model for a time.
PRICE_VARIANTS = {"GPT_3_5_TURBO": "GPT_3_5_TURBO_16K"}


def calibrate(run: ChatDevRun, prices: PriceTable) -> dict[str, str]:
    """Model swaps under which the stages' estimates add up to the cost the log states.

    When ``[Post Info]`` holds a real cost and the default prices do not reproduce it
    (within 0.5%) but a variant's prices do, the variant prices the stages, so that the
    stages' costs sum to the project's. Otherwise nothing is swapped.
    """
    logged = outcome_values(run).get("cost")
    if not logged or logged <= 0:
        return {}

    def total(swap: dict[str, str]) -> float | None:
        costs = [
            prices.estimate(
                pricing_model(s, swap),
                sum_known([c.prompt_tokens for c in s.calls]),
                sum_known([c.completion_tokens for c in s.calls]),
            )
            for s in run.stages
        ]
        known = [c for c in costs if c is not None]
        return sum(known) if known else None

    for swap in ({}, *({k: v} for k, v in PRICE_VARIANTS.items())):
        estimate = total(swap)
        if estimate is not None and abs(estimate - logged) <= 0.005 * logged:
            return swap
    return {}


def _review_passed(stage: Stage) -> tuple[bool, str | None]:
    text = stage.conclusion if stage.conclusion is not None else stage.last_assistant_message
    if text is None:
        return False, None
    if "<INFO> Finished" in text or text.strip() == "Finished":
        return True, None
    return False, _clip(re.sub(r"(?i)<comment>", "", text).strip()) or None


def emit_run(
    collector: Collector,
    clock: LogClock,
    run: ChatDevRun,
    *,
    project_id: str,
    configs: ChatDevConfigs,
    prices: PriceTable,
    identity: dict[str, Any],
) -> RunFigures:
    """Record the events of one run through ``collector`` (whose clock is ``clock``).

    Args:
        identity: Extra fields for ``project_started`` (project name, organization, log).
    """
    figures = RunFigures(problems=list(configs.problems))
    roles = {r for s in run.stages for r in (s.assistant_role, s.user_role) if r}
    versions = {role: configs.prompt_version(role) for role in roles}
    programmer_version = versions.get("Programmer") or configs.prompt_version("Programmer")
    first_model = run.models[0] if run.models else None
    limits = configs.cycle_limits()
    swap = calibrate(run, prices)
    chain_hashes = configs.hashes()
    start_fields: dict[str, Any] = {
        "created_at": run.start,
        "timestamp": run.start,
        "client_domain": "other",
        "team_size": len(roles) or None,
        "source": SOURCE,
        **identity,
        "task_prompt": run.task_prompt,
        "agent_model": first_model,
        "agent_models": run.models or None,
        "model_temperature": run.temperature,
        "chatdev_log_format": run.log_format,
        "chatdev_log_sha256": run.sha256,
        "chatdev_run_fingerprint": run.fingerprint,
        "chatdev_start_stamp": run.start_stamp,
        "chatdev_config_sha256": chain_hashes or None,
        "log_time_zone": "unknown; read as UTC",
    }
    clock.now = run.start
    modality = next((s.conclusion for s in run.stages if s.phase == "DemandAnalysis"), None)
    if modality:
        start_fields["platform"] = modality.replace("<INFO>", "").strip()[:100] or None
    language = next((s.conclusion for s in run.stages if s.phase == "LanguageChoose"), None)
    if language:
        start_fields["language"] = language.replace("<INFO>", "").strip()[:100] or None
    start_fields = {k: v for k, v in start_fields.items() if v is not None}

    events: list[tuple[datetime, int, str, Any]] = []
    for stage in run.stages:
        events.append((stage.start, stage.lineno, "stage", stage))
    for test in run.tests:
        events.append((test.time, test.lineno, "test", test))
    for comment in run.human_comments:
        events.append((comment.time, comment.lineno, "comment", comment))
    events.sort(key=lambda e: e[1])

    stage_costs: list[float] = []
    first_prototype: datetime | None = None
    with collector.project(project_id=project_id, recipe=configs.recipe, **start_fields) as p:
        for _, _, what, item in events:
            if what == "stage":
                cost = _emit_stage(
                    p, clock, item, versions, prices, configs, programmer_version, swap
                )
                if cost is not None:
                    stage_costs.append(cost)
                if item.phase == "Coding" and item.concluded and first_prototype is None:
                    first_prototype = item.end
            elif what == "test":
                clock.now = item.time
                collector.on_gate_evaluation(
                    project_id=project_id,
                    gate_id="software_test",
                    validation_result="pass" if item.passed else "fail",
                    validation_reason=None if item.passed else _clip(item.report),
                    validation_timestamp=item.time,
                    timestamp=item.time,
                    stage="test_error_summary",
                    agent_role="programmer",
                    prompt_version=programmer_version,
                    retry_attempt=(item.cycle or 0) + 1,
                    max_retries=limits.get("Test"),
                    evaluated_by="software_test_engineer",
                    chatdev_log_line=item.lineno,
                )
            else:
                _emit_comment(collector, clock, project_id, item, programmer_version, limits)
        complete_project(p, clock, run, configs, figures, stage_costs, first_prototype)
    return figures


def _emit_stage(
    p: Any,
    clock: LogClock,
    stage: Stage,
    versions: dict[str, str | None],
    prices: PriceTable,
    configs: ChatDevConfigs,
    programmer_version: str | None,
    swap: dict[str, str],
) -> float | None:
    limits = configs.cycle_limits()
    prompt_tokens = sum_known([c.prompt_tokens for c in stage.calls])
    completion_tokens = sum_known([c.completion_tokens for c in stage.calls])
    price_model = pricing_model(stage, swap)
    cost = prices.estimate(price_model, prompt_tokens, completion_tokens)
    agent_role = normalize_role(stage.assistant_role) or normalize_role(stage.user_role)
    fields: dict[str, Any] = {
        "timestamp_start": stage.start,
        "timestamp_end": stage.end,
        "agent_model": stage.model,
        "prompt_version": versions.get(stage.assistant_role or ""),
        "input_tokens": prompt_tokens,
        "output_tokens": completion_tokens,
        "total_cost": round(cost, 6) if cost is not None else None,
        "cost_estimated": True if cost is not None else None,
        "cost_model": price_model if cost is not None else None,
        "prompt_template": stage.phase_prompt or configs.phase_prompt(stage.phase),
        "output_raw": stage.conclusion or stage.last_assistant_message,
        "succeeded": stage.concluded or stage.last_assistant_message is not None,
        "counterpart_role": normalize_role(stage.user_role),
        "chatdev_phase": stage.phase,
        "chatdev_composed_phase": stage.composed_phase,
        "chatdev_cycle": stage.cycle,
        "chatdev_assistant_role": stage.assistant_role,
        "chatdev_user_role": stage.user_role,
        "reflects_on": normalize_phase(stage.reflects_on) if stage.reflects_on else None,
        "llm_calls": len(stage.calls),
        "utterances": stage.utterances,
        "api_retries": stage.api_retries or None,
        "chat_turn_limit": stage.chat_turn_limit,
        "chatdev_log_line": stage.lineno,
    }
    if stage.cycle is not None:
        fields["attempt"] = stage.cycle + 1
    if not fields["succeeded"]:
        fields["error"] = "the log ends before the phase concluded"
    fields = {k: v for k, v in fields.items() if v is not None}
    clock.now = stage.start
    with p.stage(
        stage_id=normalize_phase(stage.phase), agent_role=agent_role or "unknown", **fields
    ) as s:
        if stage.phase == "CodeReviewComment" and (stage.concluded or stage.last_assistant_message):
            passed, reason = _review_passed(stage)
            s.gate(
                gate_id="code_review",
                validation_result="pass" if passed else "fail",
                validation_reason=reason,
                validation_timestamp=stage.end,
                timestamp=stage.end,
                agent_role="programmer",
                prompt_version=programmer_version,
                max_retries=limits.get(stage.composed_phase or "CodeReview"),
                evaluated_by=agent_role,
                chatdev_log_line=stage.lineno,
            )
        clock.now = stage.end
    return cost


def _emit_comment(
    collector: Collector,
    clock: LogClock,
    project_id: str,
    comment: Any,
    programmer_version: str | None,
    limits: dict[str, int],
) -> None:
    clock.now = comment.time
    common = {"timestamp": comment.time, "chatdev_log_line": comment.lineno}
    collector.on_gate_evaluation(
        project_id=project_id,
        gate_id="human_review",
        validation_result="pass" if comment.ends_review else "fail",
        validation_reason=None if comment.ends_review else _clip(comment.text),
        validation_timestamp=comment.time,
        stage="code_review_human",
        agent_role="programmer",
        prompt_version=programmer_version,
        retry_attempt=(comment.cycle or 0) + 1,
        max_retries=comment.total or limits.get("HumanAgentInteraction"),
        evaluated_by="human",
        **common,
    )
    if comment.ends_review or not comment.text:
        return
    # ChatDev asks for "a bug report or new feature requirement": bugs are major.
    severity = "major" if _BUG_WORDS.search(comment.text) else "minor"
    collector.on_downstream_agent_feedback(
        project_id=project_id,
        reporting_agent="human",
        feedback=comment.text,
        severity=severity,
        severity_inferred=True,
        reporting_stage="code_review_human",
        target_agent="programmer",
        target_stage="code_review_human",
        rejected=True,
        comment_number=comment.number,
        comments_allowed=comment.total,
        **common,
    )
