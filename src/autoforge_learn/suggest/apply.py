"""Turn a suggestion into a new prompt version (``autoforge prompts apply``)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from autoforge_learn.registry import PromptRegistry, PromptVersion, RegistryError
from autoforge_learn.suggest.model import Suggestion, SuggestionError
from autoforge_learn.suggest.store import find_suggestion, suggestions_lock


class SuggestionConflict(SuggestionError):
    """The prompt changed since the suggestion was made: its ``old_text`` no longer matches."""


class AlreadyApplied(SuggestionError):
    """A prompt version was already created from this suggestion."""


def _changelog_line(suggestion: Suggestion) -> str:
    change = suggestion.proposed_change
    rationale, thin = re.subn(r"^THIN EVIDENCE.*?adopting\.\s*", "", change.rationale)
    why = rationale.split("; ")[0].split(". ")[0].strip(" :.")
    line = f"{suggestion.suggestion_type} of section {change.section}: {why}"
    if thin:
        line += " (thin evidence)"
    return line if len(line) <= 200 else line[:197] + "..."


def _conflict(suggestion: Suggestion, current: PromptVersion | None, now_text: str) -> str:
    change = suggestion.proposed_change
    where = current.id if current else f"{suggestion.agent_role} (no active version)"
    diff = "\n".join(
        difflib.unified_diff(
            change.old_text.splitlines(),
            now_text.splitlines(),
            fromfile=f"expected ({suggestion.base_version or 'suggestion'})",
            tofile=f"current ({where})",
            lineterm="",
        )
    )
    return (
        f"conflict: {suggestion.suggestion_id} was made against section '{change.section}' "
        f"of {suggestion.base_version or suggestion.agent_role}, which has changed in {where}. "
        f"Run `autoforge suggest` again for a suggestion against the current prompt.\n{diff}"
    )


def apply_suggestion(root: Path, suggestion_id: str, *, draft: bool = False) -> PromptVersion:
    """Create the next prompt version of the suggestion's role with its change applied.

    The new version starts from the role's current active version, records the
    suggestion id as its ``source`` and gets a CHANGELOG entry.

    Args:
        root: The ``.autoforge`` directory.
        suggestion_id: ``SUG-YYYY-MM-NNN``.
        draft: Create the version as a draft (not used as the role's default yet).

    Raises:
        SuggestionError: If the suggestion is unknown or the registry refuses the version.
        AlreadyApplied: If a version was already created from this suggestion.
        SuggestionConflict: If the section's current text is no longer ``old_text``.
    """
    with suggestions_lock(Path(root)):  # two applies of one suggestion at once: one wins
        return _apply(Path(root), find_suggestion(root, suggestion_id), draft=draft)


def _apply(root: Path, suggestion: Suggestion, *, draft: bool) -> PromptVersion:
    suggestion_id = suggestion.suggestion_id
    change = suggestion.proposed_change
    registry = PromptRegistry(Path(root))
    role = suggestion.agent_role
    try:
        previous = [v for v in registry.versions(role) if v.source == suggestion_id]
        current = registry.default(role)
    except RegistryError as exc:
        raise SuggestionError(str(exc)) from None
    if previous:
        raise AlreadyApplied(
            f"{suggestion_id} was already applied as {previous[0].id} ({previous[0].status})"
        )
    now_text = current.sections.get(change.section, "") if current else ""
    if now_text.strip() != change.old_text.strip():
        raise SuggestionConflict(_conflict(suggestion, current, now_text))
    removing = not change.new_text.strip()
    if removing and (current is None or change.section not in current.sections):
        raise SuggestionError(f"{suggestion_id}: section {change.section!r} is already gone")
    try:
        return registry.new_version(
            role,
            sections={change.section: None if removing else change.new_text},
            changes=[_changelog_line(suggestion)],
            base=current.id if current else None,
            source=suggestion_id,
            status="draft" if draft else "active",
        )
    except RegistryError as exc:
        raise SuggestionError(f"{suggestion_id}: {exc}") from None
