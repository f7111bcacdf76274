"""The prompt changelog, ``ai/prompts/CHANGELOG.md``: one entry per version, newest first."""

from __future__ import annotations

from pathlib import Path

from autoforge_learn.registry.versions import PromptVersion
from autoforge_learn.store.atomic import replace_text
from autoforge_learn.store.locks import exclusive

HEADER = "# Prompt changelog\n\nNewest first. Written by `autoforge prompts`.\n\n"


def log_version(changelog: Path, version: PromptVersion) -> None:
    """Add ``version``'s entry (day, parent, source, changes) at the top of ``changelog``.

    The file is created with its header when missing, and rewritten at once.
    """
    intro = []
    if version.parent:
        source = f" Source: {version.source}." if version.source else ""
        intro = [f"From {version.parent}.{source}", ""]
    elif version.source:
        intro = [f"Source: {version.source}.", ""]
    _prepend(changelog, [f"## {version.id} ({version.created or 'undated'})", "", *intro,
                         *[f"- {change}" for change in version.changes], "", ""])


def log_entry(changelog: Path, title: str, lines: list[str]) -> None:
    """Add a free entry (a decision, a new default) at the top of ``changelog``."""
    _prepend(changelog, [f"## {title}", "", *[f"- {line}" for line in lines], "", ""])


def _prepend(changelog: Path, lines: list[str]) -> None:
    entry = "\n".join(lines)
    # One lock for the whole store's changelog: the role locks of two roles changed at
    # once do not exclude each other, and a read-modify-write would lose an entry.
    with exclusive(changelog.with_name(".changelog.lock")):
        if changelog.exists():
            body = changelog.read_text()
            head, sep, rest = body.partition("\n## ")
            text = head.rstrip("\n") + "\n\n" + entry + (("## " + rest) if sep else "")
        else:
            text = HEADER + entry
        replace_text(changelog, text.rstrip("\n") + "\n")
