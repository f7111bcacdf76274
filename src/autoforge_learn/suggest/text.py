"""Text helpers of the rules: word matching of sections, reading failure phrases.

Everything here is deterministic: the same findings and prompt give the same text.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the this "
    "to was were with without no not any all every each your you than then there their "
    "them they only more less we our can will must should do does did".split()
)
#: Words of a failure phrase that say something is absent (rule 1's "missing detail").
MISSING_WORDS = re.compile(
    r"\b(missing|miss|lacks?|lacking|no|without|undefined|undeclared|unspecified|"
    r"incomplete|insufficient|untested|uncovered|absent|omitted|not (?:defined|declared|"
    r"set|specified|documented|covered|tested)|only covers)\b",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """Lower-case content words of a text (``API_contract_generation`` -> api, contract, ...)."""
    text = _CAMEL.sub(" ", text).replace("_", " ").lower()
    return [w for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1]


def _stem(word: str) -> str:
    # A crude stem: enough to match "priority"/"prioritisation", "errors"/"error".
    return word[:5] if len(word) > 5 else word.rstrip("s")


def overlap(query: Iterable[str], text: str) -> float:
    """How well ``text`` matches the query words.

    Each query stem found in the text adds its number of occurrences in the query (so
    words of frequent phrasings weigh more); the sum is divided by the square root of
    the text's distinct stems, so long sections do not win by length alone.
    """
    wanted = Counter(_stem(w) for w in query)
    have = {_stem(w) for w in words(text)}
    if not wanted or not have:
        return 0.0
    return sum(count for stem, count in wanted.items() if stem in have) / (len(have) ** 0.5)


def best_section(
    sections: Mapping[str, str],
    query: Sequence[str],
    *,
    name_weight: float = 2.0,
    minimum: float = 0.5,
    prefer: Sequence[str] = (),
) -> str | None:
    """The section whose name and text best match ``query``, or None if none does.

    The name counts ``name_weight`` times the text. Ties go to the earlier section, so
    the choice is deterministic. Sections named in ``prefer`` win whenever they exist.
    """
    for name in prefer:
        if name in sections:
            return name
    best, best_score = None, 0.0
    for name, body in sections.items():
        score = name_weight * overlap(query, name) + overlap(query, body)
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= minimum else None


def slug(text: str, *, limit: int = 40) -> str:
    """A section-name-safe slug: ``"Missing error definitions"`` -> ``missing_error_def...``."""
    out = "_".join(_WORD.findall(text.replace("_", " ").lower()))
    return out[:limit].rstrip("_") or "general"


def label(cause: str) -> str:
    """A readable label: ``missing_error_definitions`` -> ``missing error definitions``."""
    return cause.replace("_", " ").strip()


def is_missing_detail(texts: Iterable[str]) -> bool:
    """True if any text says something is absent (missing, no, lacks, untested, ...)."""
    return any(MISSING_WORDS.search(label(t)) for t in texts if t)


PLACEHOLDER = re.compile(r"<[^<>]*>")


def missing_item(text: str) -> str:
    """What a piece of downstream feedback says is missing, as a short item.

    ``"API contract incomplete (missing error codes for /orders)"`` -> ``"error codes"``;
    falls back to the whole text.
    """
    patterns = (
        r"missing ([^();,]+?)(?: for | in | on |\)|;|,|$)",
        r"lacks? (?:an? )?([^();,]+?)(?: needed | for |\)|;|,|$)",
        r"\bno ([^();,]+?)(?: for | in | on |;|,|$)",
        r"^([^();,]+?) (?:undefined|unspecified|unclear|not documented)",
        r"^([^();,]+?) (?:has no|have no) ([^();,]+)",
    )
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            item = " ".join(g for g in match.groups() if g).strip()
            if len(item) >= 3:
                return item
    return text.strip().rstrip(".")


def added_lines(parent: str, child: str) -> list[str]:
    """Lines of ``child`` that ``parent`` does not have (inserted or rewritten)."""
    old, new = parent.splitlines(), child.splitlines()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out.extend(new[j1:j2])
    return out


def remove_lines(text: str, lines: Iterable[str]) -> str:
    """``text`` without the given lines (compared stripped), blank runs collapsed."""
    drop = {line.strip() for line in lines if line.strip()}
    kept = [line for line in text.splitlines() if line.strip() not in drop]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return out


def append_block(old_text: str, block: str) -> str:
    """``old_text`` with ``block`` added after a blank line (or just ``block``)."""
    old = old_text.rstrip()
    return f"{old}\n\n{block.strip()}" if old else block.strip()


def pct(value: float | None) -> str:
    """``0.403`` -> ``"40%"``; None -> ``"?"``."""
    return "?" if value is None else f"{100 * float(value):.0f}%"
