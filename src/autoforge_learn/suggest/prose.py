"""Clean prose for suggestions: real quotes only, no code, no masked fragments.

What a suggestion adds to a prompt is read by an agent and judged by a person, so it is
built from the data's own words, cut to size:

* :func:`clean_quote`: a real phrasing as a quote: the prose before any code (a code
  fence, an indented or code-like line), first paragraph only, cut at a sentence end or
  a word boundary to at most ``limit`` characters; None for a stack trace, code, or a
  masked template label (``<name>``).
* :func:`quotes`: the most frequent clean quotes of a list of phrasings (those differing
  only in numbers counted as one).
* :func:`requirements`: what the rejections say is missing, as short requirements
  ("Include error code definitions."), only where a phrase yields one cleanly: the item
  is the words the phrasings of one template share (instance words such as a module or a
  screen name differ between them and are cut), with no digits, paths or quotes. No
  mechanical negation of a failure text is ever written.
* :func:`is_runtime_error`: whether a text reads as a runtime or infrastructure error
  (a traceback, "An error occurred", a missing module, a timeout, a refused connection,
  an exit code...), which a prompt edit is not presumed to fix.
* :func:`key_stems` and :func:`stated_in`: the key words of a cause and whether a
  prompt section already states them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from autoforge_learn.findings import TextCount
from autoforge_learn.suggest.text import MISSING_WORDS, PLACEHOLDER, STOPWORDS, words

# -- code and runtime errors ------------------------------------------------------------

_TRACE = re.compile(r"Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+")
_CODE_LINE = re.compile(
    r"^\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(|class\s+\w+\s*[:(]|"
    r"(?:async\s+)?function\s+\w*\s*\(|(?:const|let|var)\s+\w+\s*=|return\b|"
    r"(?:public|private|protected)\s+\w+|#include\b|@\w+|[}\])]\s*;?\s*$|"
    r"(?:if|for|while|elif|else|try|except|with)\b[^.]*:\s*$|\w+\s*=\s*\S)"
)
_CODE_TOKENS = re.compile(r"=>|==|!=|&&|\|\||\+\+|::|\)\s*\{|;\s*$|\bself\.\w+|\w+\(\)")
_SYMBOLS = set("{}[];=<>|\\$")

_RUNTIME = re.compile(
    "|".join(
        (
            r"Traceback \(most recent call last\)",
            r"\bFile \"[^\"]+\", line \d+",
            r"\ban? (?:unexpected |unknown )?error (?:has )?occurr?ed\b",
            r"\bhas no attribute\b",
            r"\bno module named\b",
            r"\b(?:ModuleNotFound|Import|Name|Attribute|Syntax|Indentation|Key|Index|Type|"
            r"Value|Runtime|OS|IO|FileNotFound|Permission|Connection|Timeout|ZeroDivision|"
            r"Recursion|Memory|UnicodeDecode|UnicodeEncode|BrokenPipe)Error\b",
            r"\b(?:NullPointer|IllegalState|IllegalArgument)Exception\b",
            r"\bsegmentation fault\b",
            r"\bcore dumped\b",
            r"\btim(?:ed|es|ing) ?out\b",
            r"\btimeout\b",
            r"\bconnection (?:refused|reset|closed|timed out|aborted)\b",
            r"\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|ADDRINUSE|ACCES)\b",
            r"\bexit(?:ed)? (?:with )?(?:code|status) -?\d+",
            r"\bnon-zero exit\b",
            r"\bexit code\b",
            r"\bnpm ERR!",
            r"\bcommand not found\b",
            r"\bpermission denied\b",
            r"\bout of memory\b",
            r"\bOOM\b",
            r"\bcrash(?:ed|es)?\b",
            r"\bcould not (?:connect|resolve host)\b",
            r"\bservice unavailable\b",
            r"\bkilled by signal\b",
        )
    ),
    re.IGNORECASE,
)


def is_stack_trace(text: str) -> bool:
    """True for a traceback or stack frame."""
    return bool(_TRACE.search(text))


def is_runtime_error(text: str) -> bool:
    """True if ``text`` reads as a runtime or infrastructure error rather than a judgement
    of an output's content: a traceback, "An error occurred", "module ... has no
    attribute", a missing module, an exception name, a timeout, a refused connection, an
    exit code, a crash, a package manager error.

    Example:
        >>> is_runtime_error("An error occurred: module 'os' has no attribute 'setsid'")
        True
        >>> is_runtime_error("Endpoint POST /orders has no error responses defined")
        False
    """
    return bool(_RUNTIME.search(text or ""))


def runtime_share(items: Iterable[tuple[str, int]]) -> float:
    """The share of failures (by count) whose text reads as a runtime error."""
    total = runtime = 0
    for text, count in items:
        total += count
        runtime += count if is_runtime_error(text) else 0
    return runtime / total if total else 0.0


def looks_like_code(text: str) -> bool:
    """True for code rather than prose: a stack frame, a code-like line (``def``,
    ``import x``, an assignment, a closing brace...), code tokens (``=>``, ``==``,
    ``self.x``, a trailing ``;``) or a high density of code symbols."""
    if not text.strip():
        return False
    if is_stack_trace(text):
        return True
    stripped = re.sub(r"`[^`]*`", "", text)  # inline code spans are part of the prose
    for line in stripped.splitlines():
        if _CODE_LINE.match(line) or _CODE_TOKENS.search(line):
            return True
    if len(stripped) < 20:
        return False
    symbols = sum(1 for c in stripped if c in _SYMBOLS)
    parens = sum(1 for c in stripped if c in "()")
    return symbols / len(stripped) > 0.05 or parens / len(stripped) > 0.15


# -- quotes -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _prose_part(text: str) -> str:
    """The first paragraph of prose before any code (fence or code-like line)."""
    before_fence = text.split("```", 1)[0]
    kept: list[str] = []
    for line in before_fence.splitlines():
        if not line.strip():
            if kept:
                break
            continue
        if line.startswith(("    ", "\t")) or _CODE_LINE.match(line) or is_stack_trace(line):
            break
        kept.append(line.strip())
    return re.sub(r"\s+", " ", " ".join(kept)).strip()


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: at the last sentence end that keeps
    at least a third of it, else at a word boundary with ``...``."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]].strip()
    head = text[: limit - 3]
    space = head.rfind(" ")
    if space >= limit // 3:
        head = head[:space]
    return head.rstrip(" ,;:-(") + "..."


def clean_quote(text: str, limit: int = 160) -> str | None:
    """A real phrasing as a clean quote of at most ``limit`` characters, or None.

    None for a stack trace, for code (nothing but code before the first paragraph
    ends), and for a template label with placeholders (``<name>``, ``<*>``).
    """
    raw = (text or "").strip()
    if not raw or is_stack_trace(raw) or PLACEHOLDER.search(raw):
        return None
    prose = _prose_part(raw)
    if not prose or looks_like_code(prose):
        return None
    quote = cut(prose, limit)
    if quote.endswith(":"):
        trimmed = quote[: max(m.end() for m in _SENTENCE_END.finditer(quote))] if (
            _SENTENCE_END.search(quote)) else ""
        quote = trimmed.strip()
    if len(quote) < 2 or looks_like_code(quote) or PLACEHOLDER.search(quote):
        return None
    return quote.replace('"', "'")


def quotes(
    items: Sequence[TextCount] | Sequence[tuple[str, int]], *, limit: int, chars: int = 160
) -> list[tuple[str, int]]:
    """The ``limit`` most frequent clean quotes, with counts; phrasings that differ only
    in numbers count as one (the most frequent wording is quoted)."""
    pairs = [(i.text, i.count) if isinstance(i, TextCount) else (i[0], i[1]) for i in items]
    groups: dict[str, list] = {}
    order: list[str] = []
    for text, count in pairs:
        quote = clean_quote(text, chars)
        if quote is None:
            continue
        key = re.sub(r"\d+", "N", quote.lower())
        if key not in groups:
            groups[key] = [quote, 0, count or 1]
            order.append(key)
        group = groups[key]
        group[1] += count or 1
        if (count or 1) > group[2]:
            group[0], group[2] = quote, count or 1
    ranked = sorted(order, key=lambda k: -groups[k][1])  # stable: first seen first
    return [(groups[k][0], groups[k][1]) for k in ranked[:limit]]


# -- requirements -----------------------------------------------------------------------

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
            _stem(prefix[n].lower()) == _stem(other[n].lower())
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
        sentence = _prose_part(text)
        sentence = sentence[: m.end()] if (m := _SENTENCE_END.search(sentence)) else sentence
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
        stems = {_stem(w) for w in words(item)}
        if any(stems <= other or other <= stems for other in seen):
            continue
        seen.append(stems)
        out.append(f"{verb} {item}.")
        if len(out) >= limit:
            break
    return out


# -- does the prompt already say it -----------------------------------------------------

#: Words of a rejection that say nothing about what is required.
_META = frozenset(
    "code file files line please need needs should following add fix issue comment "
    "highest priority occurred gate output rejected fails fail failed found".split()
)


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word.rstrip("s")


def stems(text: str) -> set[str]:
    """Content word stems of a text (``API_contract_generation`` counts its name words)."""
    return {_stem(w) for w in words(text)}


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
        prose = _PATHS.sub(" ", _prose_part(text) or text)
        kept = {
            _stem(w)
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


# -- budget -----------------------------------------------------------------------------


def fit_lines(lines: Sequence[str], budget: int) -> list[str]:
    """The leading lines that fit in ``budget`` characters (newlines counted)."""
    out: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if used + extra > budget:
            break
        out.append(line)
        used += extra
    return out


def added_text(old_text: str, new_text: str) -> str:
    """What ``new_text`` adds after ``old_text`` (the whole text if it does not start
    with it)."""
    old = old_text.rstrip()
    return new_text[len(old):] if old and new_text.startswith(old) else new_text
