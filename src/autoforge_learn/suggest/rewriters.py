"""Optional rewriters of a suggestion's ``new_text`` (e.g. an LLM), behind a small interface.

The deterministic text of the rules is the default and needs nothing. A rewriter is
any object with ``rewrite(suggestion, context) -> str``; register a factory under a name
with :func:`register_rewriter` (or the ``autoforge_learn.rewriters`` entry point group)
and select it with ``autoforge suggest --rewriter NAME`` or ``suggest: {rewriter: NAME}``
in ``config.yaml``. The engine keeps the deterministic text whenever a rewriter returns
nothing, or the unchanged section.

Example:
    >>> from autoforge_learn.suggest.rewriters import register_rewriter
    >>> class Shout:
    ...     name = "shout"
    ...     def rewrite(self, suggestion, context):
    ...         return suggestion.proposed_change.new_text.upper()
    >>> register_rewriter("shout", Shout)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autoforge_learn.suggest.model import Suggestion, SuggestionError

if TYPE_CHECKING:
    from autoforge_learn.findings import Finding
    from autoforge_learn.registry import PromptVersion

ENTRY_POINT_GROUP = "autoforge_learn.rewriters"
DEFAULT_REWRITER = "deterministic"


@dataclass
class RewriteContext:
    """What a rewriter may read besides the suggestion.

    Attributes:
        findings: The findings behind the suggestion.
        prompt: The role's current prompt version (None if the role has none).
        options: Settings for the plug-in: the ``suggest.rewriter_options`` mapping of
            ``config.yaml`` (empty unless set).
    """

    findings: Sequence[Finding] = ()
    prompt: PromptVersion | None = None
    options: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class Rewriter(Protocol):
    """Rewrites a suggestion's proposed section text; must not touch the network unasked."""

    def rewrite(self, suggestion: Suggestion, context: RewriteContext) -> str:
        """The new section text (return ``new_text`` unchanged to keep it)."""
        ...


class DeterministicRewriter:
    """The default: keeps the rules' deterministic text as it is."""

    name = DEFAULT_REWRITER

    def rewrite(self, suggestion: Suggestion, context: RewriteContext) -> str:
        return suggestion.proposed_change.new_text


_FACTORIES: dict[str, Callable[[], Rewriter]] = {DEFAULT_REWRITER: DeterministicRewriter}


def register_rewriter(name: str, factory: Callable[[], Rewriter]) -> None:
    """Make a rewriter selectable by ``name`` (replaces one of the same name)."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise SuggestionError(f"rewriter name {name!r}: use letters, digits, '-' and '_'")
    _FACTORIES[name] = factory


def _entry_points() -> dict[str, Callable[[], Rewriter]]:
    from importlib.metadata import entry_points

    found: dict[str, Callable[[], Rewriter]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point.load)  # loaded only when selected
    return found


def rewriter_names() -> list[str]:
    """Names that :func:`get_rewriter` accepts."""
    return sorted({*_FACTORIES, *_entry_points()})


def get_rewriter(name: str | None) -> Rewriter:
    """The rewriter registered under ``name`` (None: the deterministic one).

    Raises:
        SuggestionError: If no rewriter has that name; the message lists the known ones.
    """
    name = name or DEFAULT_REWRITER
    if name in _FACTORIES:
        return _FACTORIES[name]()
    points = _entry_points()
    if name in points:
        loaded = points[name]()
        return loaded() if isinstance(loaded, type) else loaded
    raise SuggestionError(f"unknown rewriter {name!r}; known: {', '.join(rewriter_names())}")
