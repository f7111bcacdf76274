"""Which model's prices estimate the cost of a ChatDev chat.

ChatDev logs no per-call cost, so each chat (stage) is priced from its tokens. The model
is the chat's ``ModelType``; when that is missing it is inferred from the context window
the log shows (4K: GPT_3_5_TURBO, 16K: GPT_3_5_TURBO_16K, 8K: GPT_4, 32K: GPT_4_32K; else
ChatDev's default GPT_3_5_TURBO). When the log states the run's cost, :func:`calibrate`
picks the price variant that reproduces it, so the stages add up to it.
"""

from __future__ import annotations

from autoforge_learn.importers.chatdev.model import ChatDevRun, Stage
from autoforge_learn.importers.chatdev.outcome import outcome_values, sum_known
from autoforge_learn.importers.prices import PriceTable

DEFAULT_MODEL = "GPT_3_5_TURBO"
_WINDOW_MODELS = {4096: "GPT_3_5_TURBO", 8192: "GPT_4", 16000: "GPT_3_5_TURBO_16K"}
_WINDOW_MODELS.update({16384: "GPT_3_5_TURBO_16K", 32768: "GPT_4_32K"})


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
