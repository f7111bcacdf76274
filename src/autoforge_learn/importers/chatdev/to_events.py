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
recorded as ``cost_model``, while ``agent_model`` stays unknown (see :mod:`.pricing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autoforge_learn.collect.collector import Collector
from autoforge_learn.importers.chatdev.configs import (
    ChatDevConfigs,
    normalize_phase,
    normalize_role,
)
from autoforge_learn.importers.chatdev.model import ChatDevRun, HumanComment, Stage, TestReport
from autoforge_learn.importers.chatdev.outcome import (
    LogClock,
    RunFigures,
    complete_project,
    sum_known,
)
from autoforge_learn.importers.chatdev.pricing import DEFAULT_MODEL as DEFAULT_MODEL
from autoforge_learn.importers.chatdev.pricing import PRICE_VARIANTS as PRICE_VARIANTS
from autoforge_learn.importers.chatdev.pricing import calibrate, pricing_model
from autoforge_learn.importers.prices import PriceTable

SOURCE = "chatdev"
_BUG_WORDS = re.compile(r"\b(bug|error|crash|exception|broken|fail\w*|fix|wrong|not work)", re.I)
MAX_REASON = 4000


def _clip(text: str | None, limit: int = MAX_REASON) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def _review_passed(stage: Stage) -> tuple[bool, str | None]:
    text = stage.conclusion if stage.conclusion is not None else stage.last_assistant_message
    if text is None:
        return False, None
    if "<INFO> Finished" in text or text.strip() == "Finished":
        return True, None
    return False, _clip(re.sub(r"(?i)<comment>", "", text).strip()) or None


@dataclass(frozen=True)
class RunContext:
    """What every event of one run is recorded with.

    Attributes:
        collector: The collector the events go through.
        clock: The collector's clock, set to each record's time before it is recorded.
        project_id: The run's project.
        configs: The run's config files.
        prices: The price table that estimates costs.
        versions: The prompt version of each ChatDev role that spoke.
        programmer_version: The programmer's prompt version (gates judge the programmer).
        limits: The most cycles each composed phase allows.
        swap: Price variants from :func:`calibrate`.
    """

    collector: Collector
    clock: LogClock
    project_id: str
    configs: ChatDevConfigs
    prices: PriceTable
    versions: dict[str, str | None]
    programmer_version: str | None
    limits: dict[str, int]
    swap: dict[str, str]


def _start_fields(
    run: ChatDevRun, configs: ChatDevConfigs, roles: set[str], identity: dict[str, Any]
) -> dict[str, Any]:
    """The fields of ``project_started`` (unknown values left out)."""
    fields: dict[str, Any] = {
        "created_at": run.start,
        "timestamp": run.start,
        "client_domain": "other",
        "team_size": len(roles) or None,
        "source": SOURCE,
        **identity,
        "task_prompt": run.task_prompt,
        "agent_model": run.models[0] if run.models else None,
        "agent_models": run.models or None,
        "model_temperature": run.temperature,
        "chatdev_log_format": run.log_format,
        "chatdev_log_sha256": run.sha256,
        "chatdev_run_fingerprint": run.fingerprint,
        "chatdev_start_stamp": run.start_stamp,
        "chatdev_config_sha256": configs.hashes() or None,
        "log_time_zone": "unknown; read as UTC",
    }
    modality = next((s.conclusion for s in run.stages if s.phase == "DemandAnalysis"), None)
    if modality:
        fields["platform"] = modality.replace("<INFO>", "").strip()[:100] or None
    language = next((s.conclusion for s in run.stages if s.phase == "LanguageChoose"), None)
    if language:
        fields["language"] = language.replace("<INFO>", "").strip()[:100] or None
    return {k: v for k, v in fields.items() if v is not None}


def _in_log_order(run: ChatDevRun) -> list[Stage | TestReport | HumanComment]:
    """The run's chats, test reports and human comments in the order the log has them."""
    items: list[Stage | TestReport | HumanComment] = [
        *run.stages,
        *run.tests,
        *run.human_comments,
    ]
    items.sort(key=lambda item: item.lineno)
    return items


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
    ctx = RunContext(
        collector=collector,
        clock=clock,
        project_id=project_id,
        configs=configs,
        prices=prices,
        versions=versions,
        programmer_version=versions.get("Programmer") or configs.prompt_version("Programmer"),
        limits=configs.cycle_limits(),
        swap=calibrate(run, prices),
    )
    start_fields = _start_fields(run, configs, roles, identity)
    clock.now = run.start
    stage_costs: list[float] = []
    first_prototype: datetime | None = None
    with collector.project(project_id=project_id, recipe=configs.recipe, **start_fields) as p:
        for item in _in_log_order(run):
            if isinstance(item, Stage):
                cost = _emit_stage(p, ctx, item)
                if cost is not None:
                    stage_costs.append(cost)
                if item.phase == "Coding" and item.concluded and first_prototype is None:
                    first_prototype = item.end
            elif isinstance(item, TestReport):
                _emit_test(ctx, item)
            else:
                _emit_comment(ctx, item)
        complete_project(p, clock, run, configs, figures, stage_costs, first_prototype)
    return figures


def _emit_test(ctx: RunContext, test: TestReport) -> None:
    """A ``[Test Reports]`` record: the ``software_test`` gate on the programmer's code."""
    ctx.clock.now = test.time
    ctx.collector.on_gate_evaluation(
        project_id=ctx.project_id,
        gate_id="software_test",
        validation_result="pass" if test.passed else "fail",
        validation_reason=None if test.passed else _clip(test.report),
        validation_timestamp=test.time,
        timestamp=test.time,
        stage="test_error_summary",
        agent_role="programmer",
        prompt_version=ctx.programmer_version,
        retry_attempt=(test.cycle or 0) + 1,
        max_retries=ctx.limits.get("Test"),
        evaluated_by="software_test_engineer",
        chatdev_log_line=test.lineno,
    )


def _stage_fields(
    ctx: RunContext, stage: Stage, tokens: tuple[int | None, int | None], price_model: str,
    cost: float | None,
) -> dict[str, Any]:
    """The fields of a chat's ``stage_execution`` (unknown values left out)."""
    prompt_tokens, completion_tokens = tokens
    fields: dict[str, Any] = {
        "timestamp_start": stage.start,
        "timestamp_end": stage.end,
        "agent_model": stage.model,
        "prompt_version": ctx.versions.get(stage.assistant_role or ""),
        "input_tokens": prompt_tokens,
        "output_tokens": completion_tokens,
        "total_cost": round(cost, 6) if cost is not None else None,
        "cost_estimated": True if cost is not None else None,
        "cost_model": price_model if cost is not None else None,
        "prompt_template": stage.phase_prompt or ctx.configs.phase_prompt(stage.phase),
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
    return {k: v for k, v in fields.items() if v is not None}


def _emit_stage(p: Any, ctx: RunContext, stage: Stage) -> float | None:
    """A chat as ``stage_execution`` (a CodeReviewComment chat also records the
    ``code_review`` gate); returns the chat's estimated cost."""
    prompt_tokens = sum_known([c.prompt_tokens for c in stage.calls])
    completion_tokens = sum_known([c.completion_tokens for c in stage.calls])
    price_model = pricing_model(stage, ctx.swap)
    cost = ctx.prices.estimate(price_model, prompt_tokens, completion_tokens)
    agent_role = normalize_role(stage.assistant_role) or normalize_role(stage.user_role)
    fields = _stage_fields(ctx, stage, (prompt_tokens, completion_tokens), price_model, cost)
    ctx.clock.now = stage.start
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
                prompt_version=ctx.programmer_version,
                max_retries=ctx.limits.get(stage.composed_phase or "CodeReview"),
                evaluated_by=agent_role,
                chatdev_log_line=stage.lineno,
            )
        ctx.clock.now = stage.end
    return cost


def _emit_comment(ctx: RunContext, comment: HumanComment) -> None:
    """A human's comment: the ``human_review`` gate, and feedback unless it ends the review."""
    ctx.clock.now = comment.time
    common = {"timestamp": comment.time, "chatdev_log_line": comment.lineno}
    ctx.collector.on_gate_evaluation(
        project_id=ctx.project_id,
        gate_id="human_review",
        validation_result="pass" if comment.ends_review else "fail",
        validation_reason=None if comment.ends_review else _clip(comment.text),
        validation_timestamp=comment.time,
        stage="code_review_human",
        agent_role="programmer",
        prompt_version=ctx.programmer_version,
        retry_attempt=(comment.cycle or 0) + 1,
        max_retries=comment.total or ctx.limits.get("HumanAgentInteraction"),
        evaluated_by="human",
        **common,
    )
    if comment.ends_review or not comment.text:
        return
    # ChatDev asks for "a bug report or new feature requirement": bugs are major.
    severity = "major" if _BUG_WORDS.search(comment.text) else "minor"
    ctx.collector.on_downstream_agent_feedback(
        project_id=ctx.project_id,
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
