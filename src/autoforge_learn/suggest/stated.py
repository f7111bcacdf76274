"""Does the prompt already say it: the key words of a gate failure cause, and whether
a prompt section already states them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autoforge_learn.suggest.prose import prose_part
from autoforge_learn.suggest.text import MISSING_WORDS, words

#: Words of a rejection that say nothing about what is required.
_META = frozenset(
    "code file files line please need needs should following add fix issue comment "
    "highest priority occurred gate output rejected fails fail failed found".split()
)


def word_stem(word: str) -> str:
    """A word's stem for matching: its first five letters (shorter words: no plural s)."""
    return word[:5] if len(word) > 5 else word.rstrip("s")


def stems(text: str) -> set[str]:
    """Content word stems of a text (``API_contract_generation`` counts its name words)."""
    return {word_stem(w) for w in words(text)}


#: Paths and file names (``docs/prd.md``, ``main.py``): instances, not requirements.
_PATHS = re.compile(r"\S*[/\\]\S*|\b[\w-]+\.(?:[a-z]{1,5})\b|`[^`]*`")


def key_stems(phrasings: Sequence[tuple[str, int]]) -> dict[str, float]:
    """The key words of a cause: stems found in at least half of its failures (by count),
    without words that only say "absent", numbers and meta words. Instance words (one
    module, one screen) rarely reach half, so what is left names the requirement."""
    total = sum(c for _, c in phrasings)
    if not total:
        return {}
    found: dict[str, float] = {}
    for text, count in phrasings:
        prose = _PATHS.sub(" ", prose_part(text) or text)
        kept = {
            word_stem(w)
            for w in words(prose)
            if not MISSING_WORDS.fullmatch(w) and not re.search(r"\d", w) and w not in _META
        }
        for stem in kept:
            found[stem] = found.get(stem, 0.0) + count / total
    return {s: round(share, 4) for s, share in found.items() if share >= 0.5}


@dataclass(frozen=True)
class Statement:
    """A prompt section that already states a cause's key words.

    Attributes:
        section: The section's name.
        coverage: Share of the key words (weighted by how often each occurs) it holds.
        keys: The key words (stems) looked for.
    """

    section: str
    coverage: float
    keys: tuple[str, ...]


def best_statement(
    sections: Mapping[str, str], keys: Mapping[str, float]
) -> Statement | None:
    """The section (name and text) holding most of ``keys`` (weighted), or None without
    sections or with fewer than two keys (too few words to judge)."""
    if len(keys) < 2 or not sections:
        return None
    weight = sum(keys.values())
    best: Statement | None = None
    for name, body in sections.items():
        have = stems(name) | stems(body)
        share = sum(w for k, w in keys.items() if k in have) / weight
        if best is None or share > best.coverage:
            best = Statement(name, round(share, 3), tuple(sorted(keys)))
    return best


#: Share of a cause's key words a section must hold to count as already stating it.
STATED_COVERAGE = 0.75


def stated_in(sections: Mapping[str, str], keys: Mapping[str, float]) -> Statement | None:
    """The section that already states the cause (at least :data:`STATED_COVERAGE` of
    its key words, weighted), or None."""
    best = best_statement(sections, keys)
    return best if best is not None and best.coverage >= STATED_COVERAGE else None
