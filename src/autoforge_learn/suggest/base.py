"""What every rule shares, in one import: the rule context (:mod:`.context`) and the
builder of suggestions (:mod:`.build`)."""

from __future__ import annotations

from autoforge_learn.settings import SuggestSettings
from autoforge_learn.suggest.build import (
    Impact,
    Plan,
    compose,
    evidence_list,
    expected,
    experiment,
    make,
    rate_change,
    thin_note,
    token_effect,
)
from autoforge_learn.suggest.context import GateCause, RuleContext, Target
from autoforge_learn.suggest.model import SuggestionType

T = SuggestionType

__all__ = [
    "GateCause",
    "Impact",
    "Plan",
    "RuleContext",
    "SuggestSettings",
    "T",
    "Target",
    "compose",
    "evidence_list",
    "expected",
    "experiment",
    "make",
    "rate_change",
    "thin_note",
    "token_effect",
]
