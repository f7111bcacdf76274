"""The prompt improvement suggestion engine and applying its suggestions.

Only discoveries make suggestions; a gate failure cause only when it is attributable to
the role's prompt and the role's current version does not fix it already (the others
are set aside with the reason: :attr:`SuggestRun.set_aside`). Each suggestion quotes
real failures as clean prose, edits one section (one suggestion per section per run),
carries estimates with intervals and their basis, and names the A/B experiment that
would test it.

Example:
    >>> from datetime import UTC, datetime
    >>> from autoforge_learn.suggest import suggest_run_from_root, apply_suggestion
    >>> run = suggest_run_from_root(ws, findings)  # doctest: +SKIP
    >>> [a.reason for a in run.unattributed]  # doctest: +SKIP
    ['runtime_error']
    >>> apply_suggestion(ws.root, run.suggestions[0].suggestion_id, draft=True)  # doctest: +SKIP
"""

from autoforge_learn.suggest.apply import AlreadyApplied, SuggestionConflict, apply_suggestion
from autoforge_learn.suggest.base import SuggestSettings
from autoforge_learn.suggest.engine import RULES, suggest, suggest_run
from autoforge_learn.suggest.model import (
    ExpectedImpact,
    Experiment,
    ProposedChange,
    Suggestion,
    SuggestionError,
    SuggestionType,
)
from autoforge_learn.suggest.rewriters import (
    RewriteContext,
    Rewriter,
    get_rewriter,
    register_rewriter,
    rewriter_names,
)
from autoforge_learn.suggest.runs import SetAside, SetAsideReason, SuggestRun
from autoforge_learn.suggest.store import (
    find_suggestion,
    load_findings,
    load_suggestions,
    save_suggestions,
    suggest_from_root,
    suggest_run_from_root,
    write_suggestions,
)

__all__ = [
    "RULES",
    "AlreadyApplied",
    "ExpectedImpact",
    "Experiment",
    "ProposedChange",
    "RewriteContext",
    "Rewriter",
    "SetAside",
    "SetAsideReason",
    "SuggestSettings",
    "Suggestion",
    "SuggestionConflict",
    "SuggestionError",
    "SuggestRun",
    "SuggestionType",
    "apply_suggestion",
    "find_suggestion",
    "get_rewriter",
    "load_findings",
    "load_suggestions",
    "register_rewriter",
    "rewriter_names",
    "save_suggestions",
    "suggest",
    "suggest_from_root",
    "suggest_run",
    "suggest_run_from_root",
    "write_suggestions",
]
