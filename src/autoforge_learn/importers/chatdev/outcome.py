"""How a ChatDev run ended: its ``project_completed`` event and the figures it adds up to.

``project_success`` is inferred (ChatDev does not say): the run finished (``[Post Info]``,
``ChatDev Ends``, or the last phase of its chain concluded) and its last test passed or
no test ran: ``shipped``; it finished with a failing last test: ``alpha_ready``; the log
ends early while retrying API requests: ``blocked``; it ends early otherwise:
``cancelled``. Cost, tokens and duration come from ``[Post Info]`` (or a final ``Software
Info``); a ``-1`` there, or ``$0.000000`` next to ``-1`` tokens, is unknown, and the cost
is then the sum of the stages' estimated costs (``cost_estimated``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autoforge_learn.importers.chatdev.configs import ChatDevConfigs
from autoforge_learn.importers.chatdev.model import ChatDevRun


class LogClock:
    """The collector's clock during an import: the time of the log record being read."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RunFigures:
    """What one run added up to (for the import report)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    cost_estimated: bool | None = None
    project_success: str | None = None
    finished: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


def sum_known(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def finished(run: ChatDevRun, configs: ChatDevConfigs) -> bool:
    """Whether the run ran to its end (see the module docstring)."""
    if run.ended or run.post_info is not None:
        return True
    chain = configs.chain_phases()
    return bool(chain and run.stages and run.stages[-1].phase == chain[-1])


def infer_success(run: ChatDevRun, configs: ChatDevConfigs) -> str:
    if finished(run, configs):
        return "shipped" if not run.tests or run.tests[-1].passed else "alpha_ready"
    return "blocked" if run.last_is_retry else "cancelled"


def outcome_values(run: ChatDevRun) -> dict[str, float | None]:
    """Post Info, else the last Software Info; cost, tokens and duration only when final."""
    info = dict(run.post_info or run.software_info or {})
    if run.post_info is None and not run.ended:  # a snapshot taken before the log ends
        for key in ("cost", "num_prompt_tokens", "num_completion_tokens", "num_total_tokens"):
            info.pop(key, None)
        info.pop("duration", None)
    return info


def complete_project(
    p: Any,
    clock: LogClock,
    run: ChatDevRun,
    configs: ChatDevConfigs,
    figures: RunFigures,
    stage_costs: list[float],
    first_prototype: datetime | None,
) -> None:
    info = outcome_values(run)
    figures.prompt_tokens = sum_known([c.prompt_tokens for c in run.calls])
    figures.completion_tokens = sum_known([c.completion_tokens for c in run.calls])
    for key, ours in (
        ("num_prompt_tokens", figures.prompt_tokens),
        ("num_completion_tokens", figures.completion_tokens),
    ):
        theirs = info.get(key)
        if theirs is not None and ours is not None and int(theirs) != ours:
            figures.problems.append(
                f"{key}: the log's summary says {int(theirs)}, calls sum {ours}"
            )
    logged_cost = info.get("cost")
    tokens_logged = info.get("num_total_tokens") is not None
    if logged_cost is not None and (logged_cost > 0 or tokens_logged):
        figures.cost, figures.cost_estimated = logged_cost, False
    elif stage_costs:
        figures.cost, figures.cost_estimated = round(sum(stage_costs), 6), True
    figures.finished = finished(run, configs)
    figures.project_success = infer_success(run, configs)
    end = run.post_info_time or run.end
    duration = info.get("duration")
    fields: dict[str, Any] = {
        "completed_at": end,
        "timestamp": end,
        "time_to_completion": duration
        if duration is not None
        else max(0.0, (end - run.start).total_seconds()),
        "token_cost_total": figures.cost,
        "cost_estimated": figures.cost_estimated,
        "tokens_total": figures.tokens,
        "prompt_tokens_total": figures.prompt_tokens,
        "completion_tokens_total": figures.completion_tokens,
        "chatdev_finished": figures.finished,
        "end_reason": None if figures.finished else _end_reason(run),
    }
    if first_prototype is not None:
        fields["time_to_first_prototype"] = max(0.0, (first_prototype - run.start).total_seconds())
    for key in (
        "version_updates",
        "num_code_files",
        "num_png_files",
        "num_doc_files",
        "code_lines",
        "env_lines",
        "manual_lines",
        "num_utterances",
        "num_self_reflections",
    ):
        value = info.get(key, info.get("num_utterance") if key == "num_utterances" else None)
        if value is not None:
            fields[key] = int(value)
    fields = {k: v for k, v in fields.items() if v is not None}
    clock.now = end
    p.complete(project_success=figures.project_success, **fields)


def _end_reason(run: ChatDevRun) -> str:
    if run.last_is_retry:
        return "the log ends while retrying API requests"
    if run.stages and not run.stages[-1].concluded:
        return f"the log ends inside phase {run.stages[-1].phase}"
    return "the log ends before [Post Info]"
