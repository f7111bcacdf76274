"""What rejections say is missing, as short requirements ("Include error code
definitions."), only where a phrase yields one cleanly: the item is the words the
phrasings of one template share (instance words such as a module or a screen name differ
between them and are cut), with no digits, paths or quotes. No mechanical negation of a
failure text is ever written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autoforge_learn.suggest.prose import SENTENCE_END, prose_part
from autoforge_learn.suggest.stated import word_stem
from autoforge_learn.suggest.text import MISSING_WORDS, STOPWORDS, words

_TRAILING = frozenset(
    "for in on at to of the a an and or with by from via during between per as into "
    "when where which that is are".split()
)
_PARTICIPLES = frozenset(
    "defined declared specified documented designed set given assigned found present "
    "provided included listed".split()
)
_ITEM_WORD = re.compile(r"^(?:[A-Za-z][A-Za-z'-]*|/)$")
#: Verbs: an item holding one is a clause, not the thing that is missing.
_VERBS = frozenset(
    "fail fails failed does do did is are was were has have had return returns returned "
    "reach reaches reached mark marks marked fall falls found crash crashes crashed pass "
    "passes passed produce produces produced get gets got cause causes caused will would "
    "can could should must seem seems seemed be been being appear appears need needs "
    "look looks contain contains".split()
)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    verb: str


_RULES = tuple(
    _Rule(re.compile(p, re.IGNORECASE), verb)
    for p, verb in (
        (r"^(?:there (?:is|are) )?(?:no|missing|insufficient|incomplete)\s+(?P<item>.+)$",
         "Include"),
        (r"^(?P<subject>.+?)\s+(?:lacks?|lacking|(?:is|are|seems? to be|appears? to be) "
         r"missing|has no|have no|without)\s+(?P<item>.+)$", "Include"),
        (r"^(?P<item>.+?)\s+(?:untested|not tested)\b.*$", "Test"),
        (r"^(?P<item>.+?)\s+(?:uncovered|not covered)\b.*$", "Cover"),
        (r"^(?P<item>.+?)\s+not documented\b.*$", "Document"),
        (r"^(?P<item>.+?)\s+(?:undefined|unspecified|not defined|not specified|"
         r"not declared)\b.*$", "Define"),
        (r"^(?P<item>.+?)\s+missing\b.*$", "Include"),
    )
)


def _instance(token: str) -> bool:
    """A token naming one instance (a number, path, quoted or code name, a version)."""
    return bool(re.search(r"[\d`'\"{}()\[\]@:<>=#]|^/|\.\w", token))


def _item_words(item: str) -> list[str]:
    """The item's words up to the first instance token or capitalised name after the
    first word, with trailing prepositions, articles and participles removed."""
    out: list[str] = []
    for position, token in enumerate(item.split()):
        bare = token.rstrip(".,;:!?")
        named = position > 0 and bare[:1].isupper() and not bare.isupper()
        if (bare != "/" and _instance(bare)) or named:
            break
        out.append(bare)
        if bare != token:
            break  # a clause ends here
    return out


def _trim(tokens: list[str]) -> list[str]:
    while tokens and (tokens[0].lower() in ("the", "a", "an", "any", "all")):
        tokens = tokens[1:]
    while tokens and (tokens[-1].lower() in _TRAILING or tokens[-1].lower() in _PARTICIPLES):
        tokens = tokens[:-1]
    return tokens


def _clean_item(tokens: list[str]) -> str | None:
    tokens = _trim(tokens)
    content = [t for t in tokens if t.lower() not in STOPWORDS and t != "/" and len(t) > 1]
    if len(content) < 2 or len(tokens) > 8 or not all(_ITEM_WORD.match(t) for t in tokens):
        return None
    if any(MISSING_WORDS.fullmatch(t) or t.lower() in _VERBS for t in tokens):
        return None
    plain = tokens[0][:1].isupper() and tokens[0][1:].islower()
    first = tokens[0].lower() if plain else tokens[0]
    text = " ".join([first, *tokens[1:]])
    return text if len(text) <= 80 else None


def _common_prefix(items: list[list[str]]) -> list[str]:
    prefix = items[0]
    for other in items[1:]:
        n = 0
        while n < min(len(prefix), len(other)) and (
            word_stem(prefix[n].lower()) == word_stem(other[n].lower())
        ):
            n += 1
        prefix = prefix[:n]
    return prefix


def requirements(phrasings: Sequence[tuple[str, int]], *, limit: int = 2) -> list[str]:
    """Requirements the rejections yield cleanly (at most ``limit``), most frequent first.

    Each phrasing is matched against the missing-detail forms ("No X ...", "... lacks
    X", "X untested", "X missing" ...); the items of one form are cut where an instance
    starts (a number, path, quoted name, capitalised name) and to the words all of them
    share, and kept only as 2-8 plain words. ``[]`` when no phrase yields one.

    Example:
        >>> requirements([("Missing error code definitions for 4 endpoints", 11),
        ...               ("Missing error code definitions for 7 endpoints", 2)])
        ['Include error code definitions.']
    """
    groups: dict[tuple[str, str], list[tuple[list[str], int]]] = {}
    for text, count in phrasings:
        sentence = prose_part(text)
        sentence = sentence[: m.end()] if (m := SENTENCE_END.search(sentence)) else sentence
        sentence = sentence.rstrip(".!?")
        for rule in _RULES:
            match = rule.pattern.match(sentence)
            if match is None:
                continue
            tokens = _item_words(match["item"])
            if tokens:
                key = (rule.verb, " ".join(tokens[:2]).lower())
                groups.setdefault(key, []).append((tokens, count))
            break
    ranked = sorted(groups.items(), key=lambda kv: -sum(c for _, c in kv[1]))
    out: list[str] = []
    seen: list[set[str]] = []
    for (verb, _), members in ranked:
        item = _clean_item(_common_prefix([tokens for tokens, _ in members]))
        if item is None:
            continue
        stems = {word_stem(w) for w in words(item)}
        if any(stems <= other or other <= stems for other in seen):
            continue
        seen.append(stems)
        out.append(f"{verb} {item}.")
        if len(out) >= limit:
            break
    return out
