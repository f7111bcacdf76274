"""What the gate and retry rules write: the words to match prompt sections with, the
quoted rejections, and the section an example block goes to."""

from __future__ import annotations

from collections.abc import Sequence

from autoforge_learn.suggest.context import RuleContext
from autoforge_learn.suggest.text import MISSING_WORDS, best_section, slug, words


def query_words(*texts: str) -> list[str]:
    """The words of ``texts`` to find a matching prompt section with."""
    # Words that only say "absent" match nothing useful in a prompt; leave them out.
    return [w for t in texts for w in words(t) if not MISSING_WORDS.fullmatch(w)]


def quote_lines(shown: Sequence[tuple[str, int]]) -> list[str]:
    """Quoted texts as list lines with their counts: ``- "text" (3x)``."""
    return [f'- "{text}" ({count}x)' for text, count in shown]


def example_section(ctx: RuleContext, role: str, query: list[str], topic: str) -> str:
    """The role's section for examples of ``topic``: its own ``examples_<topic>``, else
    the examples section matching ``query`` best, else a new ``examples_<topic>``."""
    version = ctx.latest(role)
    sections = version.sections if version else {}
    own = f"examples_{slug(topic)}"
    named = {n: t for n, t in sections.items() if "example" in n.lower()}
    if own in named:
        return own
    return best_section(named, query) or own


def example_block(
    header: str, shown: Sequence[tuple[str, int]], needs: Sequence[str]
) -> list[str]:
    """Rule 2's lines: the real rejections as examples of what fails, then what the
    rejections yield as requirements (if any)."""
    lines = [header, *quote_lines(shown)]
    if needs:
        lines.append("A passing output meets: " + " ".join(needs))
    return lines
